namespace IncusBackup.Repository.Restic;

/// <summary>
/// The "restic:" scheme: anything restic accepts as a repository (-r), such as restic:/srv/restic-repo,
/// restic:rest:http://host:8000/repo or restic:sftp:user@host:/srv/repo. The spec's "restic:repo=..." means the same.
/// </summary>
internal sealed class ResticRepositoryProvider : IRepositoryProvider
{
    // restic's own backend prefixes; anything else is a local path.
    private static readonly string[] Backends = ["local:", "rest:", "sftp:", "s3:", "b2:", "azure:", "gs:", "swift:", "rclone:"];

    public string Scheme => "restic";

    public string LocationExample => "/srv/restic-repo";

    public string NormalizeLocation(string location, string baseDirectory)
    {
        if (location.StartsWith("repo=", StringComparison.Ordinal)) location = location["repo=".Length..];
        if (Backends.Any(b => location.StartsWith(b, StringComparison.Ordinal))) return location;
        if (location == "~" || location.StartsWith("~/", StringComparison.Ordinal))
            location = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) + location[1..];
        return Path.GetFullPath(location, baseDirectory);
    }

    public IBackupRepository OpenForRead(string location, string? password) => ResticRepository.Open(location, Environment.GetEnvironmentVariable, password);

    /// <summary>Never creates a repository: a typo in -Target must not start a new, empty one (see <see cref="Initialize"/>).</summary>
    public IBackupRepository OpenForWrite(string location, string toolVersion, string? password)
    {
        var repository = ResticRepository.Open(location, Environment.GetEnvironmentVariable, password);
        repository.CleanupLeftovers();
        return repository;
    }

    public (IBackupRepository Repository, bool Created) Initialize(string location, string toolVersion, string? password)
    {
        var (repository, created) = ResticRepository.OpenOrInitialize(location, Environment.GetEnvironmentVariable, password);
        if (!created) repository.CleanupLeftovers();
        return (repository, created);
    }
}
