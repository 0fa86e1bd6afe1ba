export { main } from '../mm/main.js';
