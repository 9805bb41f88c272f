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

    /// <summary>Opens an existing repository to read it.</summary>
    IBackupRepository OpenForRead(string location);

    /// <summary>Opens (creating if needed) a repository to write backups into, proving it writable.</summary>
    IBackupRepository OpenForWrite(string location, string toolVersion);
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

    public static IBackupRepository OpenForRead(RepositoryTarget target) => Get(target).OpenForRead(target.Location);

    public static IBackupRepository OpenForWrite(RepositoryTarget target, string toolVersion) => Get(target).OpenForWrite(target.Location, toolVersion);

    /// <summary>The repository a record came from (its Repository property), to read the record's files.</summary>
    public static IBackupRepository OpenForRead(BackupRecord record) =>
        OpenForRead(TargetResolver.Parse(record.Repository, "/", $"the record of {record}"));

    /// <summary>The repository a record came from, to remove it.</summary>
    public static IBackupRepository OpenForWrite(BackupRecord record, string toolVersion) =>
        OpenForWrite(TargetResolver.Parse(record.Repository, "/", $"the record of {record}"), toolVersion);

    private static IRepositoryProvider Get(RepositoryTarget target) =>
        Find(target.Scheme) ?? throw new InvalidOperationException($"No backend for '{target.Scheme}:' (TargetResolver accepts only registered schemes).");
}
