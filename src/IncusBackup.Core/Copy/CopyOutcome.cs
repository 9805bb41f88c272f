namespace IncusBackup.Copy;

/// <summary>What copying one backup did: the destination's record of it, and whether it was written now or was there already.</summary>
public sealed record CopyOutcome(BackupRecord Record, bool Copied);
