using IncusBackup.Configuration;
using IncusBackup.Repository.Directory;
using IncusBackup.Repository.Restic;

namespace IncusBackup.Repository;

/// <summary>One storage backend: the -Target scheme it answers to and how it opens a repository.</summary>
public interface IRepositoryProvider
{
    /// <summary>The scheme before the colon: "dir".</summary>
    string Scheme { get; }

    /// <summary>A location to show in messages: "/path/to/repository".</summary>
    string LocationExample { get; }

    /// <summary>Makes a location absolute and canonical (relative paths resolve against <paramref name="baseDirectory"/>).</summary>
    string NormalizeLocation(string location, string baseDirectory);

    /// <summary>Opens an existing repository to read it. <paramref name="password"/> (-RepositoryCredential) opens an encrypted one.</summary>
    IBackupRepository OpenForRead(string location, string? password);

    /// <summary>Opens a repository to write backups into, proving it writable (a directory is created if needed).</summary>
    IBackupRepository OpenForWrite(string location, string toolVersion, string? password);

    /// <summary>
    /// Creates the repository when there is none yet (-Initialize, Initialize-IncusBackupRepository) and opens it for
    /// writing; an existing one is only opened. Says whether it was created.
    /// </summary>
    (IBackupRepository Repository, bool Created) Initialize(string location, string toolVersion, string? password);
}

/// <summary>
/// Picks the backend from a target's scheme. A new backend registers here and nowhere else: cmdlets and engines
/// only ever see <see cref="IBackupRepository"/>.
/// </summary>
public static class RepositoryFactory
{
    private static readonly IRepositoryProvider[] Providers = [new DirectoryRepositoryProvider(), new ResticRepositoryProvider()];

    public static IEnumerable<string> Schemes => Providers.Select(p => p.Scheme);

    public static IRepositoryProvider? Find(string scheme) =>
        Providers.FirstOrDefault(p => string.Equals(p.Scheme, scheme, StringComparison.OrdinalIgnoreCase));

    public static IBackupRepository OpenForRead(RepositoryTarget target) => Get(target).OpenForRead(target.Location, target.Password);

    public static IBackupRepository OpenForWrite(RepositoryTarget target, string toolVersion) => Get(target).OpenForWrite(target.Location, toolVersion, target.Password);

    /// <summary>Creates the repository if it does not exist yet, and opens it for writing.</summary>
    public static (IBackupRepository Repository, bool Created) Initialize(RepositoryTarget target, string toolVersion) =>
        Get(target).Initialize(target.Location, toolVersion, target.Password);

    /// <summary>The repository a record came from (its Repository property), to read the record's files.</summary>
    public static IBackupRepository OpenForRead(BackupRecord record, string? password = null) =>
        OpenForRead(TargetOf(record, password));

    /// <summary>The repository a record came from, to remove it.</summary>
    public static IBackupRepository OpenForWrite(BackupRecord record, string toolVersion, string? password = null) =>
        OpenForWrite(TargetOf(record, password), toolVersion);

    private static RepositoryTarget TargetOf(BackupRecord record, string? password) =>
        TargetResolver.Parse(record.Repository, "/", $"the record of {record}") with { Password = password };

    private static IRepositoryProvider Get(RepositoryTarget target) =>
        Find(target.Scheme) ?? throw new InvalidOperationException($"No backend for '{target.Scheme}:' (TargetResolver accepts only registered schemes).");
}
