namespace IncusBackup;

/// <summary>What Initialize-IncusBackupRepository found or made: the repository, and whether it was created now.</summary>
public sealed class RepositoryInfo
{
    /// <summary>The repository as -Target takes it: "restic:/srv/restic-repo".</summary>
    public required string Target { get; init; }

    /// <summary>The backend: "dir" or "restic".</summary>
    public required string Backend { get; init; }

    /// <summary>Where it is, in the backend's terms (a folder, or what restic takes as -r).</summary>
    public required string Location { get; init; }

    /// <summary>True when this call created it; false when it was there already.</summary>
    public required bool Created { get; init; }
}
