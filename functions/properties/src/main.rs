//! Lambda function for the properties route group (its routes arrive in the next issue).

fn main() {}
