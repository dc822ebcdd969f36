//! Prints the seeded orgs as Markdown (the tables in sandbox/README.md).
fn main() {
    print!("{}", salespane_sandbox::seed::describe_markdown());
}
