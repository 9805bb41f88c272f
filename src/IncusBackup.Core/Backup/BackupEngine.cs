using System.Text.Json;
using IncusBackup.Archive;
using IncusBackup.Errors;
using IncusBackup.Incus;
using IncusBackup.Repository;

namespace IncusBackup.Backup;

/// <summary>
/// Backs up one instance or custom volume into a repository: hold the source still, export it from the server,
/// hash it while streaming to disk, then publish the folder atomically. Safe to call in parallel.
/// </summary>
public sealed class BackupEngine(IncusClient client, DirectoryRepository repository, string toolVersion)
{
    /// <summary>Tried in order when the user names no compression: zstd is ~9x faster than gzip for the same size (incus-api.md §10).</summary>
    private static readonly string[] DefaultCompressions = ["zstd", "gzip"];

    private const string PartialArchiveName = "archive.partial";
    private int _defaultCompressionIndex;

    /// <summary>Shorter retry waits for tests of interrupted downloads.</summary>
    internal TimeSpan DownloadRetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Bytes to expect in the repository, for the free-space pre-flight: the server's disk usage where its driver
    /// reports one (zfs, btrfs, lvm...); a dir pool reports none, so only a floor is checked there and a full disk
    /// mid-write is caught as TargetFull instead.
    /// </summary>
    public async Task<long> EstimateSizeAsync(InstanceBackupTarget target, CancellationToken ct)
    {
        var state = await client.TryGetAsync(IncusPath.Instance(target.Project, target.Name, "/state"), IncusJsonContext.Default.InstanceStateInfo, ct).ConfigureAwait(false);
        return Math.Max(state?.Disk?.GetValueOrDefault("root")?.Usage ?? 0, MinimumFreeBytes);
    }

    public async Task<long> EstimateSizeAsync(VolumeBackupTarget target, CancellationToken ct)
    {
        var state = await client.TryGetAsync(IncusPath.Volume(target.Project, target.Pool, target.Name, "/state"), IncusJsonContext.Default.VolumeStateInfo, ct).ConfigureAwait(false);
        return Math.Max(state?.Usage?.Used ?? 0, MinimumFreeBytes);
    }

    /// <summary>The least free space worth starting a backup with.</summary>
    public const long MinimumFreeBytes = 1 << 20;

    public async Task<BackupRecord> BackupInstanceAsync(InstanceBackupTarget target, BackupOptions options, IBackupReporter reporter, CancellationToken ct)
    {
        var instance = target.Instance;
        var snapshots = options.WithoutSnapshots
            ? []
            : (await client.GetAsync(IncusPath.Instance(target.Project, target.Name, "/snapshots?recursion=1"), IncusJsonContext.Default.ListIncusSnapshot, ct).ConfigureAwait(false))
                .OrderBy(s => s.CreatedAt).Select(s => s.Name).ToList();
        var source = new ExportSource(
            target.ToString(),
            IncusPath.Instance(target.Project, target.Name, "/backups"),
            backup => IncusPath.InstanceBackup(target.Project, target.Name, backup),
            (name, expires) => JsonSerializer.Serialize(new InstanceBackupRequest
            {
                Name = name,
                ExpiresAt = expires,
                InstanceOnly = options.WithoutSnapshots,
                OptimizedStorage = options.Optimized,
                CompressionAlgorithm = CurrentCompression(options),
            }, IncusJsonContext.Default.InstanceBackupRequest));

        return await RunAsync(BackupKind.Instance, target.Project, instance.RootPool, target.Name, instance.Type, snapshots,
            JsonSerializer.SerializeToElement(instance, IncusJsonContext.Default.IncusInstance),
            source, options, reporter,
            holdStill: () => FreezeAsync(options.Consistent ? [instance] : [], reporter, ct),
            ct).ConfigureAwait(false);
    }

    public async Task<BackupRecord> BackupVolumeAsync(VolumeBackupTarget target, BackupOptions options, IBackupReporter reporter, CancellationToken ct)
    {
        var volume = target.Volume;
        var snapshots = options.WithoutSnapshots
            ? []
            : (await client.GetAsync(IncusPath.Volume(target.Project, target.Pool, target.Name, "/snapshots?recursion=1"), IncusJsonContext.Default.ListStorageVolume, ct).ConfigureAwait(false))
                .OrderBy(s => s.CreatedAt).Select(s => s.Name.Split('/')[^1]).ToList();
        var source = new ExportSource(
            target.ToString(),
            IncusPath.Volume(target.Project, target.Pool, target.Name, "/backups"),
            backup => IncusPath.VolumeBackup(target.Project, target.Pool, target.Name, backup),
            (name, expires) => JsonSerializer.Serialize(new VolumeBackupRequest
            {
                Name = name,
                ExpiresAt = expires,
                VolumeOnly = options.WithoutSnapshots,
                OptimizedStorage = options.Optimized,
                CompressionAlgorithm = CurrentCompression(options),
            }, IncusJsonContext.Default.VolumeBackupRequest));

        return await RunAsync(BackupKind.Volume, target.Project, target.Pool, target.Name, volume.ContentType, snapshots,
            JsonSerializer.SerializeToElement(volume, IncusJsonContext.Default.StorageVolume),
            source, options, reporter,
            holdStill: async () => await FreezeAsync(options.Consistent ? await client.RunningUsersAsync(target.Volume, target.Project, ct).ConfigureAwait(false) : [], reporter, ct).ConfigureAwait(false),
            ct).ConfigureAwait(false);
    }

    private async Task<BackupRecord> RunAsync(BackupKind kind, string project, string? pool, string name, string? type, List<string> snapshots,
        JsonElement sourceObject, ExportSource source, BackupOptions options, IBackupReporter reporter,
        Func<Task<ConsistencyHold>> holdStill, CancellationToken ct)
    {
        var server = await client.GetServerAsync(ct).ConfigureAwait(false);
        var exporter = new ServerExport(client, reporter) { RetryDelay = DownloadRetryDelay };
        await exporter.CleanupLeftoversAsync(source, ct).ConfigureAwait(false);

        using var staged = repository.BeginBackup(kind, project, kind == BackupKind.Volume ? pool : null, name);
        var createdAt = DateTimeOffset.UtcNow;
        string method, compression, sha256;
        CompressionKind detectedKind;
        long size;
        string consistency;
        while (true)
        {
            compression = CurrentCompression(options);
            using var writer = staged.CreateFile(PartialArchiveName);
            var hold = await holdStill().ConfigureAwait(false);
            consistency = options.Consistent ? hold.Consistency : "None";
            try
            {
                method = await exporter.ExportAsync(source, options.ServerBackupLifetime, writer, hold, ct).ConfigureAwait(false);
            }
            catch (IncusApiException e) when (IsUnsupportedCompression(e))
            {
                if (options.Compression is not null || !FallBackToNextCompression(compression, reporter, e))
                {
                    throw new IncusBackupException(ErrorIds.CompressionUnsupported, ErrorKind.InvalidArgument,
                        $"The server cannot compress with '{compression}': {e.Message}", compression,
                        "Pick another -Compression the server has a binary for (gzip always works), or install it on the server.", e);
                }
                writer.Dispose();
                File.Delete(writer.Path);
                continue;
            }
            catch (TargetWriteException e)
            {
                throw e.DiskFull
                    ? new IncusBackupException(ErrorIds.TargetFull, ErrorKind.WriteError,
                        $"The backup repository '{repository.Root}' ran out of space while writing {source.Display}; the partial backup was removed.",
                        repository.Root, "Free some space or choose another -Target.", e)
                    : new IncusBackupException(ErrorIds.TargetNotWritable, ErrorKind.WriteError,
                        $"Writing the backup of {source.Display} to '{repository.Root}' failed: {e.Message}", repository.Root, inner: e);
            }
            sha256 = writer.Complete();
            size = writer.Length;
            detectedKind = ArchiveCompression.Detect(writer.Head);
            break;
        }

        // The file is named after what its bytes are, not after what was asked of the server.
        var detected = ArchiveCompression.Name(detectedKind);
        var extension = detectedKind == CompressionKind.Unknown ? "bin" : ArchiveCompression.FileExtension(detectedKind);
        var fileName = (kind == BackupKind.Instance ? "export." : "volume.") + extension;
        staged.RenameFile(PartialArchiveName, fileName);
        var manifest = new BackupManifest
        {
            Kind = kind.ToString().ToLowerInvariant(),
            Project = project,
            Pool = pool,
            Name = name,
            CreatedAt = createdAt,
            CompletedAt = DateTimeOffset.UtcNow,
            ToolVersion = toolVersion,
            Server = new ManifestServer
            {
                Version = server.Environment.ServerVersion,
                Name = server.Environment.ServerName,
                Clustered = server.Environment.ServerClustered,
                Endpoint = client.Endpoint,
            },
            Options = new ManifestOptions
            {
                Consistency = consistency,
                InstanceOnly = options.WithoutSnapshots,
                Optimized = options.Optimized,
                Compression = compression,
                DetectedCompression = detected,
                ExportMethod = method,
            },
            InstanceType = type,
            Snapshots = snapshots,
            Source = sourceObject,
            Files = [new ManifestFile { Name = fileName, Size = size, Sha256 = sha256 }],
        };
        var record = staged.Publish(manifest, BackupVersion.At(createdAt.UtcDateTime));
        reporter.Verbose($"Backed up {source.Display} to {record.Path} ({Bytes.Format(size)}, {detected}, {consistency}).");
        return record;
    }

    private string CurrentCompression(BackupOptions options) =>
        options.Compression ?? DefaultCompressions[Volatile.Read(ref _defaultCompressionIndex)];

    /// <summary>Moves every later backup of this run to the next default compression (once, for all workers).</summary>
    private bool FallBackToNextCompression(string failed, IBackupReporter reporter, IncusApiException e)
    {
        var index = Array.IndexOf(DefaultCompressions, failed);
        if (index < 0 || index + 1 >= DefaultCompressions.Length) return false;
        if (Interlocked.CompareExchange(ref _defaultCompressionIndex, index + 1, index) == index)
            reporter.Warning($"The server cannot compress with {failed} ({e.Message}); using {DefaultCompressions[index + 1]} instead.");
        return true;
    }

    private static bool IsUnsupportedCompression(IncusApiException e) =>
        e.StatusCode == 400 && e.Message.Contains("ompression", StringComparison.Ordinal);

    /// <summary>
    /// Consistency: the spec asks for "a temporary snapshot, exported, then removed". Incus cannot export a single
    /// snapshot, and a temporary snapshot would end up inside the archive (every backup carries all snapshots),
    /// where a restore would bring it back as a surprise. On a dir pool the server reads the live filesystem.
    /// So we freeze the running writers (cgroup freezer: processes stop, nothing in memory is lost) only while
    /// the server reads the source, and thaw them the moment it is done. The archive then holds one point in
    /// time, as a snapshot would, without any trace of our own. -NoSnapshot skips this.
    /// </summary>
    private async Task<ConsistencyHold> FreezeAsync(IReadOnlyList<IncusInstance> writers, IBackupReporter reporter, CancellationToken ct)
    {
        var hold = new ConsistencyHold(client, reporter) { Writers = writers.Count(w => w.Status is "Running" or "Frozen") };
        foreach (var instance in writers.Where(i => i.Status == "Running"))
        {
            try
            {
                await client.ChangeStateAsync(instance.Project, instance.Name, "freeze", ct).ConfigureAwait(false);
                hold.Frozen.Add(instance);
                reporter.Verbose($"Froze {instance.Project}/{instance.Name} while the server reads it.");
            }
            catch (IncusApiException e)
            {
                hold.Failed = true;
                reporter.Warning($"Could not freeze {instance.Project}/{instance.Name} ({e.Message}); backing it up live.");
            }
            catch
            {
                await hold.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
        return hold;
    }

    /// <summary>Instances frozen for one export; disposing thaws them, even when the export was cancelled.</summary>
    private sealed class ConsistencyHold(IncusClient client, IBackupReporter reporter) : IAsyncDisposable
    {
        public List<IncusInstance> Frozen { get; } = [];
        public int Writers { get; init; }
        public bool Failed { get; set; }

        /// <summary>Frozen (held still by us or already frozen), Stopped (nothing was running), or None (freezing failed).</summary>
        public string Consistency => Failed ? "None" : Writers > 0 ? "Frozen" : "Stopped";

        public async ValueTask DisposeAsync()
        {
            foreach (var instance in Frozen)
            {
                try
                {
                    // Never cancelled: an instance must not stay frozen because the user pressed Ctrl+C.
                    await client.ChangeStateAsync(instance.Project, instance.Name, "unfreeze", CancellationToken.None).ConfigureAwait(false);
                    reporter.Verbose($"Thawed {instance.Project}/{instance.Name}.");
                }
                catch (IncusBackupException e)
                {
                    reporter.Warning($"Could not unfreeze {instance.Project}/{instance.Name}: {e.Message}. Run: incus start {instance.Name} --project {instance.Project}");
                }
            }
            Frozen.Clear();
        }
    }
}
