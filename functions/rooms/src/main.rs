//! Lambda function for the rooms route group (its routes arrive in the next issue).

fn main() {}
