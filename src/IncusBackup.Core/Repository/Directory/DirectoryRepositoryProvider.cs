namespace IncusBackup.Repository.Directory;

/// <summary>The "dir:" scheme: a repository in a local (or mounted) folder.</summary>
internal sealed class DirectoryRepositoryProvider : IRepositoryProvider
{
    public string Scheme => "dir";

    public string LocationExample => "/path/to/repository";

    public string NormalizeLocation(string location, string baseDirectory)
    {
        if (location == "~" || location.StartsWith("~/", StringComparison.Ordinal))
            location = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) + location[1..];
        return Path.GetFullPath(location, baseDirectory);
    }

    public IBackupRepository OpenForRead(string location) => DirectoryRepository.OpenExisting(location);

    public IBackupRepository OpenForWrite(string location, string toolVersion) => DirectoryRepository.OpenForWrite(location, toolVersion);
}
