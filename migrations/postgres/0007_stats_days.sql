-- A window's sums now hold its closed days' redemptions too (kind 'day'), so its series is read rather than grouped
-- from every record. Sums made before have no days: every window starts again, on its next writable ask.
DELETE FROM refcodes_stats_window;
DELETE FROM refcodes_stats_uses;
