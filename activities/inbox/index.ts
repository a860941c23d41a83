export { createInboxActivities, type InboxActivities } from './activities.js';
