// Benchmarks live here (not in timed unit tests). Filled in by the package's issue.
console.log('no benchmark yet');
