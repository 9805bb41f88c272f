using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using IncusBackup.Errors;

namespace IncusBackup.Repository;

/// <summary>
/// The directory backend (DESIGN §6). A backup is written under <c>.incomplete/</c>, fsynced, and renamed into
/// place in one step, so a folder under instances/ or volumes/ is always a complete backup. Folders are 0700 and
/// files 0600: the repository holds instance config, which can hold secrets.
/// </summary>
public sealed class DirectoryRepository
{
    public const string IncompleteFolder = ".incomplete";
    public const string ManifestFile = "manifest.json";
    public const string ChecksumsFile = "checksums.txt";
    public const string MetadataFile = "metadata.json";

    internal const UnixFileMode PrivateDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    internal const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private DirectoryRepository(string root) => Root = root;

    public string Root { get; }

    /// <summary>The repository as a target string, as users write it.</summary>
    public string Target => "dir:" + Root;

    /// <summary>Opens a repository for reading: the folder must exist.</summary>
    public static DirectoryRepository OpenExisting(string root)
    {
        var full = Path.GetFullPath(root);
        if (!Directory.Exists(full))
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
            if (File.Exists(full))
                throw new IOException($"'{full}' is a file, not a folder.");
            CreatePrivateDirectory(full);
            var incomplete = Path.Combine(full, IncompleteFolder);
            CreatePrivateDirectory(incomplete);
            var probe = Path.Combine(incomplete, $"probe-{Environment.ProcessId}-{Guid.NewGuid():N}");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
            var repository = new DirectoryRepository(full);
            repository.EnsureMetadata(toolVersion);
            repository.CleanupStale();
            return repository;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IncusBackupException(ErrorIds.TargetNotWritable, ErrorKind.PermissionDenied,
                $"The backup repository '{full}' is not writable: {e.Message}", full,
                "Choose a folder you can write to with -Target, or fix its permissions.", e);
        }
    }

    /// <summary>Free bytes on the file system that holds the repository.</summary>
    public long AvailableFreeSpace => new DriveInfo(Root).AvailableFreeSpace;

    /// <summary>Fails before any export starts when the target cannot hold the estimated size.</summary>
    public void EnsureFreeSpace(long neededBytes, string forWhat)
    {
        var free = AvailableFreeSpace;
        if (neededBytes > free)
        {
            throw new IncusBackupException(ErrorIds.TargetInsufficientSpace, ErrorKind.ResourceUnavailable,
                $"Not enough free space in '{Root}' for {forWhat}: about {Bytes.Format(neededBytes)} needed, {Bytes.Format(free)} free.",
                Root, "Free some space (Remove-IncusBackup can prune old backups) or choose another -Target.");
        }
    }

    /// <summary>Starts a new backup in a private temporary folder; dispose it to throw it away unless published.</summary>
    public StagedBackup BeginBackup(BackupKind kind, string project, string? pool, string name)
    {
        var folder = Path.Combine(Root, IncompleteFolder, $"{Environment.ProcessId}-{Guid.NewGuid():N}");
        CreatePrivateDirectory(folder);
        return new StagedBackup(this, folder, ResourceFolder(kind, project, pool, name));
    }

    /// <summary>The folder that holds every version of one resource.</summary>
    public string ResourceFolder(BackupKind kind, string project, string? pool, string name)
    {
        ResourceName.EnsureSafeSegment(project, "project");
        ResourceName.EnsureSafeSegment(name, kind.ToString().ToLowerInvariant());
        return kind switch
        {
            BackupKind.Instance => Path.Combine(Root, "instances", project, name),
            BackupKind.Volume => Path.Combine(Root, "volumes", project, ResourceName.EnsureSafeSegment(pool, "pool"), name),
            _ => throw new NotSupportedException($"{kind} backups are not supported yet."),
        };
    }

    /// <summary>
    /// Writes manifest.json and checksums.txt, fsyncs, and renames the staged folder to its version folder.
    /// When the version is taken (two backups in one second) the next sequence number is used.
    /// </summary>
    internal BackupRecord Publish(StagedBackup staged, BackupManifest manifest, BackupVersion version)
    {
        CreatePrivateDirectory(staged.ResourceFolder);
        while (true)
        {
            manifest.Version = version.ToString();
            var manifestBytes = JsonSerializer.SerializeToUtf8Bytes(manifest, RepositoryJsonContext.Default.BackupManifest);
            WritePrivateFile(Path.Combine(staged.Folder, ManifestFile), manifestBytes);
            // sha256sum format, so `sha256sum -c checksums.txt` verifies a backup with no tool of ours.
            var checksums = new StringBuilder();
            foreach (var file in manifest.Files)
                checksums.Append(file.Sha256).Append("  ").Append(file.Name).Append('\n');
            checksums.Append(Convert.ToHexStringLower(SHA256.HashData(manifestBytes))).Append("  ").Append(ManifestFile).Append('\n');
            WritePrivateFile(Path.Combine(staged.Folder, ChecksumsFile), Encoding.UTF8.GetBytes(checksums.ToString()));
            Posix.FsyncDirectory(staged.Folder);

            var destination = Path.Combine(staged.ResourceFolder, version.ToString());
            if (!Directory.Exists(destination))
            {
                try
                {
                    Directory.Move(staged.Folder, destination);
                    Posix.FsyncDirectory(staged.ResourceFolder);
                    return ToRecord(manifest, destination);
                }
                catch (IOException) when (Directory.Exists(destination))
                {
                    // Another writer took this version between our check and the rename: take the next one.
                }
            }
            version = version.Next();
        }
    }

    /// <summary>Every complete backup in the repository, oldest first within each resource.</summary>
    public IEnumerable<BackupRecord> List(BackupKind? kind = null)
    {
        if (kind is null or BackupKind.Instance)
        {
            foreach (var record in ListUnder(Path.Combine(Root, "instances"), depth: 2)) yield return record;
        }
        if (kind is null or BackupKind.Volume)
        {
            foreach (var record in ListUnder(Path.Combine(Root, "volumes"), depth: 3)) yield return record;
        }
    }

    /// <summary>Reads the manifest of one backup folder.</summary>
    public static BackupManifest ReadManifest(string backupFolder)
    {
        var path = Path.Combine(backupFolder, ManifestFile);
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(path), RepositoryJsonContext.Default.BackupManifest)
                ?? throw new JsonException("empty manifest");
        }
        catch (JsonException e)
        {
            throw new IncusBackupException(ErrorIds.ManifestInvalid, ErrorKind.InvalidData,
                $"The manifest '{path}' is not valid: {e.Message}", path, inner: e);
        }
    }

    /// <summary>Removes temporary folders left by runs that no longer exist (crash, kill -9).</summary>
    public int CleanupStale()
    {
        var incomplete = Path.Combine(Root, IncompleteFolder);
        if (!Directory.Exists(incomplete)) return 0;
        var removed = 0;
        foreach (var folder in Directory.EnumerateDirectories(incomplete))
        {
            var name = Path.GetFileName(folder);
            var dash = name.IndexOf('-');
            if (dash > 0 && int.TryParse(name.AsSpan(0, dash), out var pid) && Posix.ProcessExists(pid)) continue;
            try
            {
                Directory.Delete(folder, recursive: true);
                removed++;
            }
            catch (IOException)
            {
                // Still in use or vanished; the next run tries again.
            }
        }
        return removed;
    }

    private IEnumerable<BackupRecord> ListUnder(string kindRoot, int depth)
    {
        if (!Directory.Exists(kindRoot)) yield break;
        var resourceFolders = new List<string> { kindRoot };
        for (var i = 0; i < depth; i++)
            resourceFolders = resourceFolders.SelectMany(SafeSubfolders).ToList();
        foreach (var resourceFolder in resourceFolders.Order(StringComparer.Ordinal))
        {
            var versions = SafeSubfolders(resourceFolder)
                .Select(f => (Folder: f, Ok: BackupVersion.TryParse(Path.GetFileName(f), out var v), Version: v))
                .Where(v => v.Ok && File.Exists(Path.Combine(v.Folder, ManifestFile)))
                .OrderBy(v => v.Version);
            foreach (var (folder, _, _) in versions)
            {
                BackupRecord? record;
                try
                {
                    record = ToRecord(ReadManifest(folder), folder);
                }
                catch (IncusBackupException)
                {
                    record = null; // A damaged manifest is Test-IncusBackup's business, not a reason to hide the others.
                }
                if (record is not null) yield return record;
            }
        }
    }

    private static IEnumerable<string> SafeSubfolders(string folder) =>
        Directory.Exists(folder)
            ? Directory.EnumerateDirectories(folder).Where(d => !Path.GetFileName(d).StartsWith('.'))
            : [];

    private BackupRecord ToRecord(BackupManifest manifest, string folder)
    {
        var archive = manifest.Files.FirstOrDefault() ?? new ManifestFile();
        return new BackupRecord
        {
            Kind = Enum.Parse<BackupKind>(manifest.Kind, ignoreCase: true),
            Project = manifest.Project,
            Pool = manifest.Pool,
            Name = manifest.Name,
            Version = Path.GetFileName(folder),
            Timestamp = new DateTimeOffset(BackupVersion.Parse(Path.GetFileName(folder)).Timestamp),
            Size = archive.Size,
            Sha256 = archive.Sha256,
            Compression = manifest.Options.DetectedCompression,
            InstanceOnly = manifest.Options.InstanceOnly,
            Optimized = manifest.Options.Optimized,
            Consistency = manifest.Options.Consistency,
            Snapshots = [.. manifest.Snapshots],
            InstanceType = manifest.InstanceType,
            ServerVersion = manifest.Server.Version,
            File = Path.Combine(folder, archive.Name),
            Path = folder,
            Repository = Target,
        };
    }

    private void EnsureMetadata(string toolVersion)
    {
        var path = Path.Combine(Root, MetadataFile);
        if (File.Exists(path)) return;
        var metadata = new RepositoryMetadata { CreatedAt = DateTimeOffset.UtcNow, ToolVersion = toolVersion };
        var temp = path + $".{Environment.ProcessId}.tmp";
        WritePrivateFile(temp, JsonSerializer.SerializeToUtf8Bytes(metadata, RepositoryJsonContext.Default.RepositoryMetadata));
        File.Move(temp, path, overwrite: true);
        Posix.FsyncDirectory(Root);
    }

    internal static void CreatePrivateDirectory(string path)
    {
        if (Directory.Exists(path)) return;
        var parent = Path.GetDirectoryName(path);
        if (parent is not null && !Directory.Exists(parent)) CreatePrivateDirectory(parent);
        Directory.CreateDirectory(path, PrivateDirectory);
    }

    internal static void WritePrivateFile(string path, byte[] content)
    {
        using var stream = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = PrivateFile,
        });
        stream.Write(content);
        stream.Flush(flushToDisk: true);
    }
}
