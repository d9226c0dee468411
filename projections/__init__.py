"""Read models (tables, a fold, views, queries), the follower, coordination; domain/ and its views' drivers only."""
