// UUIDs: uuidgen makes random, time-based (v1, v6, v7) and name-based ones; uuidparse reads them back.
export default async function uuid({ tool, log }) {
  const random = (await tool('uuidgen', [])).stdout.trim();
  const v1 = (await tool('uuidgen', ['--time'])).stdout.trim();
  const v7s = (await tool('uuidgen', ['-7', '-C', '3'])).stdout.trim().split('\n');
  const v6 = (await tool('uuidgen', ['--time-v6'])).stdout.trim();
  const md5 = (await tool('uuidgen', ['--md5', '-n', '@dns', '-N', 'www.example.com'])).stdout.trim();
  const sha1 = (await tool('uuidgen', ['--sha1', '-n', '@dns', '-N', 'www.example.com'])).stdout.trim();
  if (md5 !== '5df41881-3aed-3515-88a7-2f4a814cf09e' || sha1 !== '2ed6657d-e927-568b-95e1-2665a8aea6a2') {
    throw new Error('uuidgen: wrong name-based UUID');
  }
  if ([...v7s].sort().join() !== v7s.join()) throw new Error('uuidgen -7: not in increasing order');
  await tool('uuidparse', [random, v1, v6, ...v7s, md5, sha1, 'not-a-uuid'], { env: { TZ: 'UTC' } });
  await tool('uuidparse', ['--json', '-o', 'uuid,type,time'], { input: `${v7s[0]}\n`, env: { TZ: 'UTC' } });
  if ((await tool('uuidgen', ['-C', '0'])).stdout !== '') throw new Error('uuidgen -C 0: printed something');
  await tool('uuidgen', ['--random', '--time'], { expectStatus: 1 }); // options --random and --time cannot be combined
  log(
    'uuidgen: v4 by default; v1, v6 and v7 from the clock; v3/v5 match util-linux; uuidparse reads them all',
  );
}
