-- MusicBrainz merges albums: the old MBID keeps working there as a redirect,
-- and here as an alias, so either id finds the album and the same workflow.
CREATE TABLE album_aliases (
    alias_id TEXT PRIMARY KEY,
    album_id TEXT NOT NULL REFERENCES albums (id) ON DELETE CASCADE
);
