using System.Text.Json;
using IncusBackup.Errors;

using IncusBackup.IO;

namespace IncusBackup.Repository.Directory;

/// <summary>
/// The directory backend (DESIGN §6). A backup is written under <c>.incomplete/</c>, fsynced, and renamed into
/// place in one step, so a folder under instances/, volumes/ or images/ is always a complete backup:
/// <c>instances/&lt;project&gt;/&lt;name&gt;/&lt;version&gt;/</c>, <c>volumes/&lt;project&gt;/&lt;pool&gt;/&lt;name&gt;/&lt;version&gt;/</c>,
/// <c>images/&lt;fingerprint&gt;/&lt;version&gt;/</c>.
/// A record's Location is its version folder.
/// </summary>
internal sealed class DirectoryRepository : IBackupRepository
{
    public const string IncompleteFolder = ".incomplete";
    public const string MetadataFile = "metadata.json";

    public Task CompactAsync(CancellationToken ct) => Task.CompletedTask;

    /// <summary>A directory has no structure beyond the files of its backups, which every backup test reads in full.</summary>
    public Task<TestCheck?> CheckAsync(string? readDataSubset, CancellationToken ct) => Task.FromResult<TestCheck?>(null);

    /// <summary>A directory keeps what the server sends: exports are compressed by the server (zstd by default).</summary>
    public string? PreferredCompression => null;
    public const string LockFile = ".lock";

    /// <summary>The file whose presence in a version folder marks the backup protected (Protect-IncusBackup).</summary>
    public const string ProtectedMarker = "protected";

    private DirectoryRepository(string root) => Root = root;

    public string Root { get; }

    public string Target => "dir:" + Root;

    /// <summary>Opens a repository for reading: the folder must exist.</summary>
    public static DirectoryRepository OpenExisting(string root)
    {
        var full = Path.GetFullPath(root);
        if (File.Exists(full))
        {
            throw new IncusBackupException(ErrorIds.TargetNotFound, ErrorKind.InvalidArgument,
                $"The backup repository '{full}' is a file, not a folder.", full,
                "Point -Target (or $env:INCUS_BACKUP_TARGET) at the folder that holds the backups.");
        }
        if (!System.IO.Directory.Exists(full))
        {
            throw new IncusBackupException(ErrorIds.TargetNotFound, ErrorKind.NotFound,
                $"The backup repository '{full}' does not exist.", full,
                "Check -Target (or $env:INCUS_BACKUP_TARGET); a repository is created by the first backup written to it.");
        }
        return new DirectoryRepository(full);
    }

    /// <summary>
    /// Opens a repository for writing, creating it (and metadata.json) if needed, and proves it writable by
    /// creating and removing a probe file. Also clears what interrupted runs left in .incomplete/.
    /// </summary>
    public static DirectoryRepository OpenForWrite(string root, string toolVersion)
    {
        var full = Path.GetFullPath(root);
        try
        {
            if (File.Exists(full)) throw new IOException($"'{full}' is a file, not a folder.");
            PrivateFiles.CreateDirectory(full);
            var incomplete = Path.Combine(full, IncompleteFolder);
            PrivateFiles.CreateDirectory(incomplete);
            var probe = Path.Combine(incomplete, $"probe-{Environment.ProcessId}-{Guid.NewGuid():N}");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
            var repository = new DirectoryRepository(full);
            repository.EnsureMetadata(toolVersion);
            repository.CleanupLeftovers();
            return repository;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IncusBackupException(ErrorIds.TargetNotWritable, ErrorKind.PermissionDenied,
                $"The backup repository '{full}' is not writable: {e.Message}", full,
                "Choose a folder you can write to with -Target, or fix its permissions.", e);
        }
    }

    public void EnsureFreeSpace(long neededBytes, string forWhat)
    {
        var free = new DriveInfo(Root).AvailableFreeSpace;
        if (neededBytes > free)
        {
            throw new IncusBackupException(ErrorIds.TargetInsufficientSpace, ErrorKind.ResourceUnavailable,
                $"Not enough free space in '{Root}' for {forWhat}: about {Bytes.Format(neededBytes)} needed, {Bytes.Format(free)} free.",
                Root, "Free some space (Remove-IncusBackup can prune old backups) or choose another -Target.");
        }
    }

    public IStagedBackup BeginBackup(ResourceKey resource)
    {
        var resourceFolder = ResourceFolder(resource);
        var folder = Path.Combine(Root, IncompleteFolder, $"{Environment.ProcessId}-{Guid.NewGuid():N}");
        PrivateFiles.CreateDirectory(folder);
        return new DirectoryStagedBackup(this, folder, resourceFolder);
    }

    /// <summary>The folder that holds every version of one resource; refuses names that would leave the repository.</summary>
    public string ResourceFolder(ResourceKey resource)
    {
        // The spec's layout: config/<version>; the manifest records which projects it covers.
        if (resource.Kind == BackupKind.Config) return Path.Combine(Root, "config");
        ResourceName.EnsureSafeSegment(resource.Project, "project");
        ResourceName.EnsureSafeSegment(resource.Name, resource.Kind.ToString().ToLowerInvariant());
        return resource.Kind switch
        {
            BackupKind.Instance => Path.Combine(Root, "instances", resource.Project, resource.Name),
            BackupKind.Volume => Path.Combine(Root, "volumes", resource.Project, ResourceName.EnsureSafeSegment(resource.Pool, "pool"), resource.Name),
            // The spec's layout: images/<fingerprint>/<version>; the manifest records the project.
            BackupKind.Image => Path.Combine(Root, "images", resource.Name),
            _ => throw new NotSupportedException($"{resource.Kind} backups are not supported yet."),
        };
    }

    public string LocationOf(ResourceKey resource, string version) =>
        Path.Combine(ResourceFolder(resource), ResourceName.EnsureSafeSegment(version, "version"));

    public Task<RepositoryListing> ListAsync(BackupKind? kind, CancellationToken ct)
    {
        var records = new List<BackupRecord>();
        var problems = new List<string>();
        var cache = ListingCache.Load(Root, Target);
        var listed = new Dictionary<string, ListingCache.Entry>(StringComparer.Ordinal);
        var listedRoots = new List<string>();
        foreach (var (kindRoot, depth) in KindRoots(kind))
        {
            ListUnder(kindRoot, depth, cache, records, listed, problems, ct);
            listedRoots.Add(kindRoot);
        }
        cache.Update(Root, listedRoots, listed);
        return Task.FromResult(new RepositoryListing(records, problems));
    }

    /// <summary>The folder of each kind asked for, and how deep its resource folders lie.</summary>
    private IEnumerable<(string Folder, int Depth)> KindRoots(BackupKind? kind)
    {
        if (kind is null or BackupKind.Instance) yield return (Path.Combine(Root, "instances"), 2);
        if (kind is null or BackupKind.Volume) yield return (Path.Combine(Root, "volumes"), 3);
        if (kind is null or BackupKind.Image) yield return (Path.Combine(Root, "images"), 1);
        if (kind is null or BackupKind.Config) yield return (Path.Combine(Root, "config"), 0);
    }

    public Task<Stream> OpenReadAsync(BackupRecord backup, string fileName, CancellationToken ct)
    {
        var path = Path.Combine(FolderOf(backup), ResourceName.EnsureSafeSegment(fileName, "file"));
        try
        {
            return Task.FromResult<Stream>(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20,
                FileOptions.Asynchronous | FileOptions.SequentialScan));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new IncusBackupException(ErrorIds.BackupFileMissing, ErrorKind.InvalidData,
                $"The backup {backup} in '{FolderOf(backup)}' is missing '{fileName}'.", path, "Restore another version (Get-IncusBackup lists them).", e);
        }
    }

    internal static void WriteProtectedMarker(string folder)
    {
        var marker = Path.Combine(folder, ProtectedMarker);
        using (var file = PrivateFiles.Create(marker))
            file.Write(System.Text.Encoding.UTF8.GetBytes($"protected at {DateTimeOffset.UtcNow:O}\n"));
        PrivateFiles.Fsync(marker);
    }

    /// <summary>Moves the version folder out of sight in one rename, then deletes it.</summary>
    public Task<BackupRecord> SetProtectedAsync(BackupRecord backup, bool protect, CancellationToken ct)
    {
        var folder = FolderOf(backup);
        var manifest = Path.Combine(folder, BackupSeal.ManifestFile);
        if (!File.Exists(manifest))
        {
            throw new IncusBackupException(ErrorIds.BackupNotFound, ErrorKind.NotFound, $"The backup {backup} is no longer in {Target}.", backup.ToString());
        }
        var marker = Path.Combine(folder, ProtectedMarker);
        if (protect && !File.Exists(marker))
        {
            WriteProtectedMarker(folder);
        }
        else if (!protect)
        {
            File.Delete(marker);
        }
        Posix.FsyncDirectory(folder);
        return Task.FromResult(ToRecord(BackupSeal.ParseManifest(File.ReadAllBytes(manifest), $"'{folder}'"), folder));
    }

    public Task RemoveAsync(BackupRecord backup, CancellationToken ct)
    {
        var folder = FolderOf(backup);
        if (!System.IO.Directory.Exists(folder))
        {
            throw new IncusBackupException(ErrorIds.BackupNotFound, ErrorKind.NotFound, $"The backup {backup} is no longer in {Target}.", backup.ToString());
        }
        var incomplete = Path.Combine(Root, IncompleteFolder);
        PrivateFiles.CreateDirectory(incomplete);
        var doomed = Path.Combine(incomplete, $"{Environment.ProcessId}-removing-{Guid.NewGuid():N}");
        System.IO.Directory.Move(folder, doomed);
        Posix.FsyncDirectory(Path.GetDirectoryName(folder)!);
        System.IO.Directory.Delete(doomed, recursive: true);
        return Task.CompletedTask;
    }

    public IDisposable Lock(RepositoryLockMode mode)
    {
        try
        {
            // flock(2) through FileShare: None takes it exclusively, anything else shares it (.NET on Linux).
            return new FileStream(Path.Combine(Root, LockFile), new FileStreamOptions
            {
                Mode = FileMode.OpenOrCreate,
                Access = FileAccess.ReadWrite,
                Share = mode == RepositoryLockMode.Exclusive ? FileShare.None : FileShare.ReadWrite,
                UnixCreateMode = PrivateFiles.FileMode,
            });
        }
        catch (IOException e)
        {
            throw new IncusBackupException(ErrorIds.RepositoryLocked, ErrorKind.ResourceUnavailable,
                mode == RepositoryLockMode.Exclusive
                    ? $"The backup repository '{Root}' is in use by another run; this one needs it alone."
                    : $"The backup repository '{Root}' is held by a maintenance run (such as a prune).", Root,
                "Wait for the other run to finish, then try again.", e);
        }
    }

    public int CleanupLeftovers()
    {
        var incomplete = Path.Combine(Root, IncompleteFolder);
        LeftoversCleaned = [];
        if (!System.IO.Directory.Exists(incomplete)) return 0;
        var removed = 0;
        foreach (var folder in System.IO.Directory.EnumerateDirectories(incomplete))
        {
            var name = Path.GetFileName(folder);
            var dash = name.IndexOf('-');
            if (dash > 0 && int.TryParse(name.AsSpan(0, dash), out var pid) && Posix.ProcessExists(pid)) continue;
            try
            {
                System.IO.Directory.Delete(folder, recursive: true);
                removed++;
            }
            catch (IOException)
            {
                // Still in use or vanished; the next run tries again.
            }
        }
        if (removed > 0) LeftoversCleaned = [$"removed {removed} unfinished backup(s) of runs that ended early from {IncompleteFolder}/"];
        return removed;
    }

    public IReadOnlyList<string> LeftoversCleaned { get; private set; } = [];

    internal BackupRecord ToRecord(BackupManifest manifest, string folder) =>
        BackupRecords.FromManifest(manifest, Path.GetFileName(folder), folder, Target, File.Exists(Path.Combine(folder, ProtectedMarker)));

    /// <summary>The record's folder, provided it lies inside this repository (records can come from anywhere in a pipeline).</summary>
    private string FolderOf(BackupRecord backup)
    {
        var folder = Path.GetFullPath(backup.Location);
        if (!folder.StartsWith(Root + "/", StringComparison.Ordinal) || Path.GetFileName(folder).StartsWith('.'))
        {
            throw new IncusBackupException(ErrorIds.BackupNotFound, ErrorKind.InvalidArgument,
                $"The backup {backup} names a location outside {Target}: '{backup.Location}'.", backup.ToString(),
                "Pipe records from Get-IncusBackup of this repository.");
        }
        return folder;
    }

    /// <summary>
    /// Lists every backup under one kind's folder, in resource then version order, from the listing cache where a
    /// version folder is unchanged. The resources are read in parallel (each manifest not in the cache is a small
    /// file to open, read and parse), and each manifest is parsed only as far as its record needs.
    /// </summary>
    private void ListUnder(string kindRoot, int depth, ListingCache cache, List<BackupRecord> records,
        Dictionary<string, ListingCache.Entry> listed, List<string> problems, CancellationToken ct)
    {
        if (!System.IO.Directory.Exists(kindRoot)) return;
        var resourceFolders = new List<string> { kindRoot };
        for (var i = 0; i < depth; i++)
            resourceFolders = resourceFolders.SelectMany(VisibleSubfolders).ToList();
        resourceFolders.Sort(StringComparer.Ordinal);
        var results = new (List<(string Folder, ListingCache.Entry Entry)> Entries, List<string> Problems)[resourceFolders.Count];
        Parallel.For(0, resourceFolders.Count, new ParallelOptions { CancellationToken = ct }, () => new byte[16 << 10], (i, _, buffer) =>
        {
            results[i] = ListResource(resourceFolders[i], cache, ref buffer);
            return buffer;
        }, _ => { });
        foreach (var (entries, resourceProblems) in results)
        {
            foreach (var (folder, entry) in entries)
            {
                records.Add(entry.Record);
                listed[folder] = entry;
            }
            problems.AddRange(resourceProblems);
        }
    }

    private (List<(string, ListingCache.Entry)>, List<string>) ListResource(string resourceFolder, ListingCache cache, ref byte[] buffer)
    {
        var entries = new List<(string, ListingCache.Entry)>();
        var problems = new List<string>();
        var versions = new DirectoryInfo(resourceFolder).EnumerateDirectories()
            .Where(d => !d.Name.StartsWith('.'))
            .Select(d => (Folder: d, Ok: BackupVersion.TryParse(d.Name, out var v), Version: v))
            .Where(v => v.Ok)
            .OrderBy(v => v.Version);
        foreach (var (info, _, _) in versions)
        {
            var folder = info.FullName;
            try
            {
                // The folder's time first: a change after it was taken makes the next listing read the folder again.
                var ticks = info.LastWriteTimeUtc.Ticks;
                var record = cache.Find(folder, ticks);
                if (record is null)
                {
                    var length = ReadFile(Path.Combine(folder, BackupSeal.ManifestFile), ref buffer);
                    var summary = ManifestSummary.Parse(buffer.AsSpan(0, length), $"'{folder}'");
                    record = BackupRecords.FromManifest(summary, info.Name, folder, Target, File.Exists(Path.Combine(folder, ProtectedMarker)));
                }
                entries.Add((folder, new ListingCache.Entry(ticks, record)));
            }
            catch (Exception e) when (e is IncusBackupException or IOException or UnauthorizedAccessException or ArgumentException)
            {
                // A damaged backup is reported, not a reason to hide the others.
                problems.Add(e is FileNotFoundException ? $"'{folder}' has no {BackupSeal.ManifestFile}." : $"'{folder}' cannot be read: {e.Message}");
            }
        }
        return (entries, problems);
    }

    /// <summary>Reads a whole small file into <paramref name="buffer"/> (grown when too small); returns its length.</summary>
    private static int ReadFile(string path, ref byte[] buffer)
    {
        // One open and plain reads: File.ReadAllBytes costs several times as much per small file (it asks the size
        // and advises the kernel first).
        using var handle = File.OpenHandle(path);
        var length = 0;
        while (true)
        {
            if (length == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2);
            var read = RandomAccess.Read(handle, buffer.AsSpan(length), length);
            if (read == 0) return length;
            length += read;
        }
    }

    private static IEnumerable<string> VisibleSubfolders(string folder) =>
        System.IO.Directory.Exists(folder)
            ? System.IO.Directory.EnumerateDirectories(folder).Where(d => !Path.GetFileName(d).StartsWith('.'))
            : [];

    private void EnsureMetadata(string toolVersion)
    {
        var path = Path.Combine(Root, MetadataFile);
        if (File.Exists(path)) return;
        var metadata = new RepositoryMetadata { CreatedAt = DateTimeOffset.UtcNow, ToolVersion = toolVersion };
        var temp = path + $".{Environment.ProcessId}.tmp";
        PrivateFiles.Write(temp, JsonSerializer.SerializeToUtf8Bytes(metadata, RepositoryJsonContext.Default.RepositoryMetadata));
        File.Move(temp, path, overwrite: true);
        Posix.FsyncDirectory(Root);
    }
}
