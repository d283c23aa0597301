//! What makes a property a listing people can search (issue 18), besides
//! its price (`price.rs`) and where it is (`location.rs`): whether it is
//! for sale or for rent, and where it stands in its life from draft to
//! sold or let.

use super::Invalid;

super::closed_list!(
    /// Whether a listing is offered for sale or for rent.
    Transaction {
        Sale = "sale",
        Rent = "rent",
    }
);

// `closed_list!` declares the enum, and its members cannot carry `#[default]`.
#[allow(clippy::derivable_impls)]
impl Default for Transaction {
    fn default() -> Self {
        Self::Sale
    }
}

super::closed_list!(
    /// Where a listing stands. Only its owner sees a `draft` or a
    /// `withdrawn` one; `sold` (sale listings) and `let` (rent listings)
    /// are final. See `next_allowed` for the changes allowed.
    ListingStatus {
        Draft = "draft",
        Active = "active",
        UnderOffer = "under_offer",
        Sold = "sold",
        Let = "let",
        Withdrawn = "withdrawn",
    }
);

/// A listing is created `active` unless its owner asks for a draft.
impl Default for ListingStatus {
    fn default() -> Self {
        Self::Active
    }
}

impl ListingStatus {
    /// The statuses a listing of `transaction` may change to from this one:
    ///
    /// | from          | sale                            | rent                           |
    /// |---------------|---------------------------------|--------------------------------|
    /// | `draft`       | active, withdrawn               | active, withdrawn              |
    /// | `active`      | under_offer, sold, withdrawn    | under_offer, let, withdrawn    |
    /// | `under_offer` | active, sold, withdrawn         | active, let, withdrawn         |
    /// | `withdrawn`   | active                          | active                         |
    /// | `sold`, `let` | (final)                         | (final)                        |
    pub fn next_allowed(self, transaction: Transaction) -> &'static [ListingStatus] {
        use ListingStatus::*;
        match (self, transaction) {
            (Draft, _) => &[Active, Withdrawn],
            (Active, Transaction::Sale) => &[UnderOffer, Sold, Withdrawn],
            (Active, Transaction::Rent) => &[UnderOffer, Let, Withdrawn],
            (UnderOffer, Transaction::Sale) => &[Active, Sold, Withdrawn],
            (UnderOffer, Transaction::Rent) => &[Active, Let, Withdrawn],
            (Withdrawn, _) => &[Active],
            (Sold | Let, _) => &[],
        }
    }

    /// `next` if a listing of `transaction` may change to it from this
    /// status; staying where it is is not a change, and is refused too.
    pub fn change_to(
        self,
        next: ListingStatus,
        transaction: Transaction,
    ) -> Result<ListingStatus, StatusChangeRefused> {
        if self.next_allowed(transaction).contains(&next) {
            Ok(next)
        } else {
            Err(StatusChangeRefused { from: self, to: next, transaction })
        }
    }

    /// Whether a listing of `transaction` can ever be in this status:
    /// `sold` is for sale listings only, `let` for rent listings only.
    pub fn applies_to(self, transaction: Transaction) -> bool {
        match self {
            Self::Sold => transaction == Transaction::Sale,
            Self::Let => transaction == Transaction::Rent,
            _ => true,
        }
    }

    /// Whether no change is allowed from this status.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Sold | Self::Let)
    }

    /// Whether anyone may see the listing; a draft or a withdrawn one only
    /// its owner sees.
    pub fn is_public(self) -> bool {
        matches!(self, Self::Active | Self::UnderOffer | Self::Sold | Self::Let)
    }

    /// Whether a search shows the listing unless asked for other statuses:
    /// the listings still on the market.
    pub fn is_listed_by_default(self) -> bool {
        matches!(self, Self::Active | Self::UnderOffer)
    }

    /// The RESO Data Dictionary `StandardStatus` lookup value, for feeds
    /// and portals that speak RESO:
    ///
    /// - `active` → "Active": on the market, no offer accepted.
    /// - `under_offer` → "Active Under Contract", not "Pending": RESO's
    ///   Pending is an accepted offer with the listing *off* the market,
    ///   and ours stays listed (`is_listed_by_default`) and can go back to
    ///   `active`, which is RESO's "accepted but still on market".
    /// - `sold`, `let` → "Closed": the purchase agreement fulfilled or the
    ///   lease executed; RESO has one value for both.
    /// - `withdrawn` → "Withdrawn": off the market while the owner keeps
    ///   it, and it may come back.
    /// - `draft` → "Incomplete", not "Coming Soon": RESO's Incomplete is
    ///   a listing not completely entered and not published, which is our
    ///   owner-only draft; Coming Soon is a listing marketed ahead of its
    ///   market date, which a draft nobody else sees is not.
    pub fn reso_standard_status(self) -> &'static str {
        match self {
            Self::Draft => "Incomplete",
            Self::Active => "Active",
            Self::UnderOffer => "Active Under Contract",
            Self::Sold | Self::Let => "Closed",
            Self::Withdrawn => "Withdrawn",
        }
    }
}

/// Why a listing cannot change from one status to another: the changes it
/// could make instead are `allowed()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusChangeRefused {
    pub from: ListingStatus,
    pub to: ListingStatus,
    pub transaction: Transaction,
}

impl StatusChangeRefused {
    /// The statuses the listing may change to instead.
    pub fn allowed(&self) -> &'static [ListingStatus] {
        self.from.next_allowed(self.transaction)
    }
}

impl std::fmt::Display for StatusChangeRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (from, to, transaction) = (self.from.code(), self.to.code(), self.transaction.code());
        if self.from.is_final() {
            return write!(f, "cannot change from {from}: it is final");
        }
        if self.from == self.to {
            write!(f, "is already {from}")?;
        } else if !self.to.applies_to(self.transaction) {
            write!(f, "cannot be {to} for a {transaction} listing")?;
        } else {
            write!(f, "cannot change from {from} to {to}")?;
        }
        let allowed: Vec<&str> = self.allowed().iter().map(|status| status.code()).collect();
        write!(f, "; from {from} it may change to: {}", allowed.join(", "))
    }
}

impl std::error::Error for StatusChangeRefused {}

impl From<StatusChangeRefused> for Invalid {
    fn from(refused: StatusChangeRefused) -> Self {
        Invalid(refused.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::ListingStatus::*;
    use super::Transaction::{Rent, Sale};
    use super::*;
    use serde_json::json;

    #[test]
    fn transaction_is_a_closed_list_defaulting_to_sale() {
        assert_eq!(Transaction::default(), Sale);
        assert_eq!(Transaction::ALL, &[Sale, Rent]);
        assert_eq!(Transaction::parse("rent"), Ok(Rent));
        assert_eq!(Transaction::parse("Rent").unwrap_err().0, "must be one of: sale, rent");
        assert_eq!(serde_json::to_value(Rent).unwrap(), json!("rent"));
        assert_eq!(serde_json::from_value::<Transaction>(json!("sale")).unwrap(), Sale);
    }

    #[test]
    fn a_listing_is_created_active() {
        assert_eq!(ListingStatus::default(), Active);
        assert_eq!(ListingStatus::parse("under_offer"), Ok(UnderOffer));
        assert_eq!(
            ListingStatus::parse("pending").unwrap_err().0,
            "must be one of: draft, active, under_offer, sold, let, withdrawn"
        );
        for &status in ListingStatus::ALL {
            let json = serde_json::to_value(status).unwrap();
            assert_eq!(json, json!(status.code()));
            assert_eq!(serde_json::from_value::<ListingStatus>(json).unwrap(), status);
        }
    }

    /// Every pair of statuses, for both transactions: allowed exactly when
    /// this table says so.
    #[test]
    fn every_status_change_is_allowed_or_refused_as_the_rules_say() {
        let allowed: &[(ListingStatus, ListingStatus, &[Transaction])] = &[
            (Draft, Active, &[Sale, Rent]),
            (Draft, Withdrawn, &[Sale, Rent]),
            (Active, UnderOffer, &[Sale, Rent]),
            (UnderOffer, Active, &[Sale, Rent]),
            (Active, Sold, &[Sale]),
            (UnderOffer, Sold, &[Sale]),
            (Active, Let, &[Rent]),
            (UnderOffer, Let, &[Rent]),
            (Active, Withdrawn, &[Sale, Rent]),
            (UnderOffer, Withdrawn, &[Sale, Rent]),
            (Withdrawn, Active, &[Sale, Rent]),
        ];
        let mut allowed_count = 0;
        for &transaction in Transaction::ALL {
            for &from in ListingStatus::ALL {
                for &to in ListingStatus::ALL {
                    let expected = allowed.iter().any(|(f, t, ts)| (*f, *t) == (from, to) && ts.contains(&transaction));
                    let outcome = from.change_to(to, transaction);
                    if expected {
                        allowed_count += 1;
                        assert_eq!(outcome, Ok(to), "{from:?} → {to:?} ({transaction:?}) was refused");
                    } else {
                        assert_eq!(
                            outcome,
                            Err(StatusChangeRefused { from, to, transaction }),
                            "{from:?} → {to:?} ({transaction:?}) was allowed"
                        );
                    }
                    assert_eq!(from.next_allowed(transaction).contains(&to), expected);
                }
            }
        }
        // 9 changes each for sale and rent; the other 54 pairs of each are refused.
        assert_eq!(allowed_count, 18);
    }

    #[test]
    fn sold_and_let_are_final_and_belong_to_one_transaction() {
        for &transaction in Transaction::ALL {
            assert!(Sold.next_allowed(transaction).is_empty() && Let.next_allowed(transaction).is_empty());
            for &status in ListingStatus::ALL {
                for &next in status.next_allowed(transaction) {
                    assert!(next.applies_to(transaction), "{status:?} → {next:?} for {transaction:?}");
                }
            }
        }
        assert!(Sold.is_final() && Let.is_final());
        assert!(ListingStatus::ALL.iter().filter(|status| status.is_final()).count() == 2);
        assert!(Sold.applies_to(Sale) && !Sold.applies_to(Rent));
        assert!(Let.applies_to(Rent) && !Let.applies_to(Sale));
        for status in [Draft, Active, UnderOffer, Withdrawn] {
            assert!(status.applies_to(Sale) && status.applies_to(Rent));
        }
    }

    #[test]
    fn a_refused_change_names_the_allowed_ones() {
        let message = |from: ListingStatus, to: ListingStatus, transaction| {
            Invalid::from(from.change_to(to, transaction).unwrap_err()).0
        };
        assert_eq!(
            message(Draft, Sold, Sale),
            "cannot change from draft to sold; from draft it may change to: active, withdrawn"
        );
        assert_eq!(
            message(Active, Let, Sale),
            "cannot be let for a sale listing; from active it may change to: under_offer, sold, withdrawn"
        );
        assert_eq!(
            message(UnderOffer, Sold, Rent),
            "cannot be sold for a rent listing; from under_offer it may change to: active, let, withdrawn"
        );
        assert_eq!(
            message(Withdrawn, UnderOffer, Rent),
            "cannot change from withdrawn to under_offer; from withdrawn it may change to: active"
        );
        assert_eq!(
            message(Active, Active, Sale),
            "is already active; from active it may change to: under_offer, sold, withdrawn"
        );
        assert_eq!(message(Sold, Active, Sale), "cannot change from sold: it is final");
        assert_eq!(message(Let, Let, Rent), "cannot change from let: it is final");
        let refused = Active.change_to(Draft, Rent).unwrap_err();
        assert_eq!(refused.allowed(), &[UnderOffer, Let, Withdrawn]);
    }

    #[test]
    fn visibility_follows_the_status() {
        let public: Vec<_> = ListingStatus::ALL.iter().copied().filter(|status| status.is_public()).collect();
        assert_eq!(public, [Active, UnderOffer, Sold, Let]);
        let listed: Vec<_> =
            ListingStatus::ALL.iter().copied().filter(|status| status.is_listed_by_default()).collect();
        assert_eq!(listed, [Active, UnderOffer]);
        assert!(ListingStatus::ALL.iter().all(|status| !status.is_listed_by_default() || status.is_public()));
    }

    #[test]
    fn statuses_map_to_reso_standard_status() {
        let mapped: Vec<_> = ListingStatus::ALL.iter().map(|status| status.reso_standard_status()).collect();
        assert_eq!(mapped, ["Incomplete", "Active", "Active Under Contract", "Closed", "Closed", "Withdrawn"]);
    }
}
