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

    public IBackupRepository OpenForRead(string location) => ResticRepository.Open(location, Environment.GetEnvironmentVariable);

    public IBackupRepository OpenForWrite(string location, string toolVersion)
    {
        var repository = ResticRepository.Open(location, Environment.GetEnvironmentVariable);
        repository.CleanupLeftovers();
        return repository;
    }
}
