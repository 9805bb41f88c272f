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

    /// <summary>A directory has no password: one given is ignored.</summary>
    public IBackupRepository OpenForRead(string location, string? password) => DirectoryRepository.OpenExisting(location);

    public IBackupRepository OpenForWrite(string location, string toolVersion, string? password) => DirectoryRepository.OpenForWrite(location, toolVersion);

    /// <summary>Opening for writing creates the folder and metadata.json already; created means there was no metadata.json.</summary>
    public (IBackupRepository Repository, bool Created) Initialize(string location, string toolVersion, string? password)
    {
        var existed = File.Exists(Path.Combine(Path.GetFullPath(location), DirectoryRepository.MetadataFile));
        return (DirectoryRepository.OpenForWrite(location, toolVersion), !existed);
    }
}
