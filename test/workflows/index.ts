export { storeDocument, fetchDocument } from './documents.js';
