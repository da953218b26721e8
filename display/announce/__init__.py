"""Spoken announcements of calls: what to say (phrases, numbers, letters per
language), how to say it offline (espeak-ng, cached WAVs, a chime), and in
which order (a queue that never cuts a call off and merges calls that waited
too long).  Only ``player`` touches Kivy; the rest is plain Python."""
