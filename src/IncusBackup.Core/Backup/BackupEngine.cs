using IncusBackup.Archive;
using IncusBackup.Errors;
using IncusBackup.Incus;
using IncusBackup.IO;
using IncusBackup.Reporting;
using IncusBackup.Repository;

namespace IncusBackup.Backup;

/// <summary>
/// Backs up one source (see <see cref="IBackupSource"/>) into a repository: hold it still, export it from the
/// server, hash it while streaming it into the repository, then publish it atomically. Safe to call in parallel.
/// </summary>
public sealed class BackupEngine(IIncusServer server, IBackupRepository repository, string toolVersion)
{
    /// <summary>Tried in order when the user names no compression: zstd is ~9x faster than gzip for the same size (docs/incus-api.md §10).</summary>
    private static readonly string[] DefaultCompressions = ["zstd", "gzip"];

    /// <summary>The least free space worth starting a backup with.</summary>
    public const long MinimumFreeBytes = 1 << 20;

    private const string PartialArchiveName = "archive.partial";
    private int _defaultCompressionIndex;

    /// <summary>Where freezes are written down, so that a killed run's are thawed by the next (null: nowhere).</summary>
    public FreezeJournal? Journal { get; init; } = FreezeJournal.ForCurrentUser();

    /// <summary>Shorter retry waits for tests of interrupted downloads.</summary>
    internal TimeSpan DownloadRetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Bytes to expect in the repository, for the free-space pre-flight: the server's disk usage where its driver
    /// reports one (zfs, btrfs, lvm...); a dir pool reports none, so only a floor is checked there and a full disk
    /// mid-write is caught as TargetFull instead.
    /// </summary>
    public static async Task<long> EstimateSizeAsync(IIncusServer server, IBackupSource source, CancellationToken ct) =>
        Math.Max(await source.UsedBytesAsync(server.AimedAt(source.Member), ct).ConfigureAwait(false) ?? 0, MinimumFreeBytes);

    /// <summary>The sum of <see cref="EstimateSizeAsync(IIncusServer, IBackupSource, CancellationToken)"/>, asked for all sources at once.</summary>
    public static async Task<long> EstimateSizeAsync(IIncusServer server, IEnumerable<IBackupSource> sources, CancellationToken ct) =>
        (await Task.WhenAll(sources.Select(s => EstimateSizeAsync(server, s, ct))).ConfigureAwait(false)).Sum();

    public async Task<BackupRecord> BackupAsync(IBackupSource source, BackupOptions options, IReporter reporter, CancellationToken ct)
    {
        var display = source.Resource.ToString();
        // On a cluster every request about the source is aimed at its member: a volume on a local pool exists
        // per member, and a temporary copy must land beside its original.
        var itemServer = server.AimedAt(source.Member);
        var backups = source.ServerBackups(itemServer);
        var exporter = new ServerExport(itemServer, reporter) { RetryDelay = DownloadRetryDelay };
        // The set-up requests do not depend on each other: one round trip's wait instead of four.
        var listing = options.WithoutSnapshots ? Task.FromResult(new List<string>()) : source.ListSnapshotsAsync(itemServer, ct);
        var asking = server.GetServerAsync(ct);
        var cleaning = exporter.CleanupLeftoversAsync(display, backups, ct);
        var thawing = Journal is null ? Task.CompletedTask : Journal.ThawLeftoversOnceAsync(server, reporter, ct);
        await Task.WhenAll(listing, asking, cleaning, thawing).ConfigureAwait(false);
        var snapshots = await listing.ConfigureAwait(false);
        var info = await asking.ConfigureAwait(false);

        var createdAt = DateTimeOffset.UtcNow;
        while (true)
        {
            var compression = CurrentCompression(options);
            using var staged = repository.BeginBackup(source.Resource);
            var request = new ServerBackupRequest { WithoutSnapshots = options.WithoutSnapshots, Optimized = options.Optimized, Compression = compression };
            var writer = new HashingStream(staged.CreateFile(PartialArchiveName), ArchiveCompression.HeaderLength);
            string method, consistency, sha256;
            try
            {
                var writers = await source.WritersAsync(itemServer, ct).ConfigureAwait(false);
                var choice = await ConsistencyChoice.ChooseAsync(itemServer, source, options, writers, compression, ct).ConfigureAwait(false);
                reporter.Verbose($"Consistency of {display}: {choice.Mode} ({choice.Reason}).");
                (method, consistency) = await ExportAsync(itemServer, source, choice.Mode, options, request, writers, exporter, writer, info, reporter, ct).ConfigureAwait(false);
                sha256 = await writer.CompleteAsync(ct).ConfigureAwait(false);
            }
            catch (IncusApiException e) when (IsUnsupportedCompression(e))
            {
                await writer.DisposeAsync().ConfigureAwait(false);
                if (options.Compression is not null || !FallBackToNextCompression(compression, reporter, e))
                {
                    throw new IncusBackupException(ErrorIds.CompressionUnsupported, ErrorKind.InvalidArgument,
                        $"The server cannot compress with '{compression}': {e.Message}", compression,
                        "Pick another -Compression the server has a binary for (gzip always works), or install it on the server.", e);
                }
                continue;
            }
            catch (TargetWriteException e)
            {
                await writer.DisposeAsync().ConfigureAwait(false);
                throw e.ToError(repository.Target, display);
            }
            catch
            {
                await writer.DisposeAsync().ConfigureAwait(false);
                throw;
            }

            // The file is named after what its bytes are, not after what was asked of the server.
            var detectedKind = ArchiveCompression.Detect(writer.Head);
            var size = writer.Length;
            await writer.DisposeAsync().ConfigureAwait(false);
            var fileName = ArchiveCompression.ArchiveFileName(source.ArchiveBaseName, detectedKind);
            staged.RenameFile(PartialArchiveName, fileName);
            snapshots = await SnapshotsInArchiveAsync(itemServer, source, staged, fileName, snapshots, options, reporter, ct).ConfigureAwait(false);
            var manifest = new BackupManifest
            {
                Kind = source.Resource.Kind.ToString().ToLowerInvariant(),
                Project = source.Resource.Project,
                Pool = source.RecordedPool,
                Name = source.Resource.Name,
                CreatedAt = createdAt,
                CompletedAt = DateTimeOffset.UtcNow,
                ToolVersion = toolVersion,
                RunId = options.RunId,
                Server = ManifestServer.Of(info, server, source.Member),
                Options = new ManifestOptions
                {
                    Consistency = consistency,
                    InstanceOnly = options.WithoutSnapshots,
                    Optimized = options.Optimized,
                    Compression = compression,
                    DetectedCompression = ArchiveCompression.Name(detectedKind),
                    ExportMethod = method,
                },
                InstanceType = source.SubType,
                Snapshots = snapshots,
                Source = source.SourceObject,
                Files = [new ManifestFile { Name = fileName, Size = size, Sha256 = sha256 }],
            };
            var record = await staged.PublishAsync(manifest, BackupVersion.At(createdAt.UtcDateTime), ct).ConfigureAwait(false);
            reporter.Verbose($"Backed up {display} to {record.Location} ({Bytes.Format(size)}, {manifest.Options.DetectedCompression}, {consistency}).");
            return record;
        }
    }

    /// <summary>Exports in the chosen mode; a copy that Auto could not make falls back to Freeze. Returns the method and the record's Consistency.</summary>
    private async Task<(string Method, string Consistency)> ExportAsync(IIncusServer itemServer, IBackupSource source, ConsistencyMode mode, BackupOptions options,
        ServerBackupRequest request, IReadOnlyList<IncusInstance> writers, ServerExport exporter, HashingStream writer, ServerInfo info,
        IReporter reporter, CancellationToken ct)
    {
        var display = source.Resource.ToString();
        if (mode == ConsistencyMode.Snapshot)
        {
            try
            {
                var method = await new SnapshotExport(itemServer, exporter, reporter)
                    .ExportAsync(display, SourceCopiers.For(itemServer, source)!, request, options.ServerBackupLifetime, writer, ct).ConfigureAwait(false);
                return (method, "Snapshot");
            }
            catch (SnapshotCopyFailedException e) when (options.Consistency == ConsistencyMode.Auto)
            {
                reporter.Warning($"{e.Message}; freezing it instead.");
            }
        }
        var hold = mode == ConsistencyMode.None
            ? ConsistencyHold.None(itemServer, reporter)
            : await ConsistencyHold.FreezeAsync(itemServer, writers, reporter, Journal, info.Environment.ServerName ?? "", ct, options.FreezeTimeout).ConfigureAwait(false);
        var consistency = mode == ConsistencyMode.None ? "None" : hold.Consistency;
        try
        {
            return (await exporter.ExportAsync(display, source.ServerBackups(itemServer), request, options.ServerBackupLifetime, writer, hold, ct, hold.Expired)
                .ConfigureAwait(false), consistency);
        }
        catch (OperationCanceledException e) when (hold.Expired.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw new IncusBackupException(ErrorIds.FreezeTimeout, ErrorKind.OperationStopped,
                $"The server was still reading {display} after {hold.Limit!.Value.TotalSeconds:0} s with {string.Join(", ", writers.Where(w => w.IsActive).Select(w => $"{w.Project}/{w.Name}"))} frozen; "
                + "it was thawed and the backup stopped. Nothing was written.", display,
                "Raise -FreezeTimeout (0: no limit), back it up from a copy with -Consistency Snapshot on a copy-on-write pool, or pick a faster -Compression (zstd, none).", e);
        }
    }

    /// <summary>
    /// The snapshots the archive holds: those listed before the export, unless one was taken or deleted meanwhile;
    /// then the archive's own index.yaml says which (the manifest must agree with it, or a restore refuses it).
    /// </summary>
    private async Task<List<string>> SnapshotsInArchiveAsync(IIncusServer itemServer, IBackupSource source, IStagedBackup staged, string fileName,
        List<string> before, BackupOptions options, IReporter reporter, CancellationToken ct)
    {
        if (options.WithoutSnapshots) return before;
        var after = await source.ListSnapshotsAsync(itemServer, ct).ConfigureAwait(false);
        if (after.SequenceEqual(before, StringComparer.Ordinal)) return before;
        await using var archive = staged.OpenFile(fileName);
        var inArchive = (await BackupIndex.ReadIndexAsync(archive, ct).ConfigureAwait(false)).Snapshots;
        reporter.Verbose($"The snapshots of {source.Resource} changed during the export; the manifest lists the {inArchive.Count} in the archive.");
        return [.. inArchive];
    }

    private string CurrentCompression(BackupOptions options) =>
        options.Compression ?? repository.PreferredCompression ?? DefaultCompressions[Volatile.Read(ref _defaultCompressionIndex)];

    /// <summary>Moves every later backup of this run to the next default compression (once, for all workers).</summary>
    private bool FallBackToNextCompression(string failed, IReporter reporter, IncusApiException e)
    {
        var index = Array.IndexOf(DefaultCompressions, failed);
        if (index < 0 || index + 1 >= DefaultCompressions.Length) return false;
        if (Interlocked.CompareExchange(ref _defaultCompressionIndex, index + 1, index) == index)
            reporter.Warning($"The server cannot compress with {failed} ({e.Message}); using {DefaultCompressions[index + 1]} instead.");
        return true;
    }

    private static bool IsUnsupportedCompression(IncusApiException e) =>
        e.StatusCode == 400 && e.Message.Contains("ompression", StringComparison.Ordinal);
}
