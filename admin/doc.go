// Package admin is the admin surface of the daemon: the JSON API under
// /api/v1 (conflicts, links, status, recent propagations), the conflicts
// web page under /ui, and the feed of recent propagations they show. Every
// route needs the admin bearer token; without a configured token nothing
// here is mounted. It owns HTTP mapping only: deciding conflicts is
// reconcile's, storing them the store's.
package admin
