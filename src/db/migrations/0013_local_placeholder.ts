// LOCAL ONLY, never committed: stands in for another branch's migration so 0015 has no gap while testing.
export async function up(): Promise<void> {}
