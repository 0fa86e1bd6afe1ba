// The errno texts live in @suite/internal (bundled into this package); `strerror` is part of this entry's API.
export { strerror } from '@suite/internal';
