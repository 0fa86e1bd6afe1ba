// The dispatcher: every tool of the suite, listed.
export default async function suite({ tool }) {
  await tool('suite', ['--help']);
}
