using System.Diagnostics;
using IncusBackup.Errors;
using IncusBackup.IO;

namespace IncusBackup.Repository.Restic;

/// <summary>
/// The restic backend: every backup is one restic snapshot per archive file (streamed through
/// <c>restic backup --stdin</c>) plus a seal snapshot holding manifest.json and checksums.txt, written last and
/// tagged with what the backup is (see <see cref="ResticTags"/>). Only sealed backups are listed. A record's
/// Location is the path the directory backend would use ("instances/&lt;project&gt;/&lt;name&gt;/&lt;version&gt;"),
/// stored as the seal's location= tag. restic locks the repository itself, so <see cref="Lock"/> holds nothing.
/// </summary>
internal sealed class ResticRepository(string location, Func<string, string?> environment, string? password) : IBackupRepository
{
    // Listing reads one manifest per backup; a few restic processes at once keep that bearable on 2 cores.
    private const int ListParallelism = 4;

    public string Location { get; } = location;

    public string Target => "restic:" + Location;

    /// <summary>
    /// Exports are taken uncompressed: restic's content-defined chunks then find what two backups share, and
    /// restic compresses what it stores (repository format 2).
    /// </summary>
    public string? PreferredCompression => "none";

    /// <summary>Checks the password is set and the repository opens with it (restic cat config).</summary>
    public static ResticRepository Open(string location, Func<string, string?> environment, string? password)
    {
        ResticCommand.EnsurePassword(location, environment, password);
        var repository = new ResticRepository(location, environment, password);
        repository.Run(ResticCommand.CatConfig(), "open the repository");
        return repository;
    }

    /// <summary>Opens the repository, or creates it (restic init) when there is none at the location yet.</summary>
    public static (ResticRepository Repository, bool Created) OpenOrInitialize(string location, Func<string, string?> environment, string? password)
    {
        try
        {
            return (Open(location, environment, password), false);
        }
        catch (IncusBackupException e) when (e.ErrorId == ErrorIds.ResticRepositoryNotInitialized)
        {
            // restic init would create the missing folders: an unmounted disk would get a new repository on the root file system.
            if (Path.IsPathRooted(location) && Path.GetDirectoryName(location) is { } parent && !System.IO.Directory.Exists(parent))
            {
                throw new IncusBackupException(ErrorIds.TargetNotFound, ErrorKind.NotFound,
                    $"The folder '{parent}' that would hold the restic repository '{location}' does not exist.", location,
                    "Mount the disk or create the folder first; -Initialize creates only the repository's own folder.", e);
            }
            var repository = new ResticRepository(location, environment, password);
            repository.Run(ResticCommand.Init(), "create the repository");
            return (repository, true);
        }
    }

    public IStagedBackup BeginBackup(ResourceKey resource)
    {
        LocationOf(resource, "20000101T000000Z");
        return new ResticStagedBackup(this, resource);
    }

    public string LocationOf(ResourceKey resource, string version)
    {
        ResourceName.EnsureSafeSegment(version, "version");
        if (resource.Kind == BackupKind.Config) return $"config/{version}";
        ResourceName.EnsureSafeSegment(resource.Project, "project");
        ResourceName.EnsureSafeSegment(resource.Name, resource.Kind.ToString().ToLowerInvariant());
        return resource.Kind switch
        {
            BackupKind.Instance => $"instances/{resource.Project}/{resource.Name}/{version}",
            BackupKind.Volume => $"volumes/{resource.Project}/{ResourceName.EnsureSafeSegment(resource.Pool, "pool")}/{resource.Name}/{version}",
            BackupKind.Image => $"images/{resource.Name}/{version}",
            _ => throw new NotSupportedException($"{resource.Kind} backups are not supported yet."),
        };
    }

    /// <summary>
    /// One restic snapshots call, then one restic dump per seal the listing cache does not know by its snapshot id
    /// (new backups, and those protected or unprotected since: restic tag gives the seal a new id).
    /// </summary>
    public async Task<RepositoryListing> ListAsync(BackupKind? kind, CancellationToken ct)
    {
        var snapshots = await SnapshotsAsync(ct).ConfigureAwait(false);
        var seals = snapshots
            .Where(s => s.IsSeal && s.Location is not null && s.Version is not null)
            .Where(s => kind is null || ResticTags.Value(s.Tags, "kind") == kind.Value.ToString().ToLowerInvariant())
            .ToList();
        // A seal whose archive snapshot is gone (a run stopped just as it sealed, then cleaned up) is not a backup.
        // Compared by their first 8 hex digits, restic's short id, whichever length a tag holds.
        static string Short(string id) => id[..Math.Min(8, id.Length)];
        var present = snapshots.Select(s => Short(s.Id)).ToHashSet(StringComparer.Ordinal);
        var orphanedSeals = seals.Where(s => ResticTags.Files(s.Tags).Values.Any(id => !present.Contains(Short(id)))).ToList();
        seals = [.. seals.Except(orphanedSeals)];
        var cache = ListingCache.Load(Target, "", Target);
        var results = new (BackupRecord? Record, string? Problem)[seals.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, seals.Count), new ParallelOptions { MaxDegreeOfParallelism = ListParallelism, CancellationToken = ct },
            async (i, token) =>
            {
                try
                {
                    results[i] = (cache.Find(seals[i].Location!, StampOf(seals[i])) ?? await RecordOfAsync(seals[i], token).ConfigureAwait(false), null);
                }
                catch (IncusBackupException e)
                {
                    // A damaged backup is reported, not a reason to hide the others.
                    results[i] = (null, $"restic snapshot {seals[i].ShortId} ({seals[i].Location}) cannot be read: {e.Message}");
                }
            }).ConfigureAwait(false);
        var listed = new Dictionary<string, ListingCache.Entry>(StringComparer.Ordinal);
        for (var i = 0; i < seals.Count; i++)
        {
            if (results[i].Record is { } record) listed[seals[i].Location!] = new ListingCache.Entry(StampOf(seals[i]), record);
        }
        cache.Update(Target, KindFolders(kind), listed);
        var records = results.Select(r => r.Record).OfType<BackupRecord>()
            .OrderBy(r => (r.Kind, r.Project, r.Pool ?? "", r.Name))
            .ThenBy(r => BackupVersion.Parse(r.Version))
            .ToList();
        return new RepositoryListing(records, [
            .. orphanedSeals.Select(s => $"restic snapshot {s.ShortId} ({s.Location}) seals an archive snapshot that is gone"),
            .. results.Select(r => r.Problem).OfType<string>()]);
    }

    public async Task<Stream> OpenReadAsync(BackupRecord backup, string fileName, CancellationToken ct)
    {
        var snapshots = await SnapshotsAsync(ct).ConfigureAwait(false);
        var seal = SealOf(backup, snapshots);
        if (fileName is BackupSeal.ManifestFile or BackupSeal.ChecksumsFile) return Dump(seal.Id, fileName, $"read {fileName} of {backup}");
        var data = ResticTags.Files(seal.Tags).TryGetValue(fileName, out var id) ? snapshots.FirstOrDefault(s => s.Id.StartsWith(id, StringComparison.Ordinal)) : null;
        if (data is null || data.Paths.Count != 1)
        {
            throw new IncusBackupException(ErrorIds.BackupFileMissing, ErrorKind.InvalidData,
                $"The backup {backup} in {Target} has no snapshot holding '{fileName}'.", backup.ToString(), "Restore another version (Get-IncusBackup lists them).");
        }
        return Dump(data.Id, data.Paths[0].TrimStart('/'), $"read {fileName} of {backup}");
    }

    public async Task<BackupRecord> SetProtectedAsync(BackupRecord backup, bool protect, CancellationToken ct)
    {
        var seal = SealOf(backup, await SnapshotsAsync(ct).ConfigureAwait(false));
        if (seal.IsProtected != protect)
            await RunAsync(ResticCommand.Tag(seal.Id, ResticTags.Protected, protect), protect ? "protect a backup" : "unprotect a backup", ct).ConfigureAwait(false);
        var updated = SealOf(backup, await SnapshotsAsync(ct).ConfigureAwait(false));
        return await RecordOfAsync(updated, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Forgets the seal first (so a half-removed backup is never listed), then its archive snapshots, in one call;
    /// the data goes with the next <see cref="CompactAsync"/> (restic prune).
    /// </summary>
    public async Task RemoveAsync(BackupRecord backup, CancellationToken ct)
    {
        var snapshots = await SnapshotsAsync(ct).ConfigureAwait(false);
        var seal = SealOf(backup, snapshots);
        var parts = snapshots.Where(s => !s.IsSeal && s.BackupId is not null && s.BackupId == seal.BackupId).Select(s => s.Id);
        await RunAsync(ResticCommand.Forget([seal.Id, .. parts], prune: false), $"remove {backup}", ct).ConfigureAwait(false);
    }

    /// <summary>
    /// restic check: the index, packs and snapshot trees agree (and, with a subset, the data read back matches). It
    /// holds the repository alone, so a backup writing into it makes the check Skipped rather than Failed.
    /// </summary>
    public async Task<TestCheck?> CheckAsync(string? readDataSubset, CancellationToken ct)
    {
        var scope = readDataSubset is null ? "" : $", data subset {readDataSubset} read";
        try
        {
            await RunAsync(ResticCommand.Check(readDataSubset), "check the repository", ct).ConfigureAwait(false);
            return new TestCheck { Name = "Repository", Outcome = CheckOutcome.Passed, Message = $"restic check found no errors{scope}" };
        }
        catch (IncusBackupException e) when (e.ErrorId == ErrorIds.ResticFailed && e.Message.Contains("repository contains errors", StringComparison.Ordinal))
        {
            return new TestCheck { Name = "Repository", Outcome = CheckOutcome.Failed, Message = $"restic check found errors{scope}: {e.Message}", ErrorId = ErrorIds.RepositoryCheckFailed };
        }
        catch (IncusBackupException e) when (e.ErrorId is ErrorIds.RepositoryLocked or ErrorIds.ResticFailed)
        {
            // Locked by a backup, or unable to lock at all (a read-only copy of the repository): not damage.
            return new TestCheck { Name = "Repository", Outcome = CheckOutcome.Skipped, Message = $"restic check could not run: {e.Message}" };
        }
    }

    /// <summary>restic prune: removes the data no snapshot refers to any more.</summary>
    public Task CompactAsync(CancellationToken ct) => RunAsync(ResticCommand.Prune(), "free the space of removed backups (restic prune)", ct);

    /// <summary>restic takes its own locks (backup shares the repository, forget --prune holds it alone): nothing to hold here.</summary>
    public IDisposable Lock(RepositoryLockMode mode) => NoLock.Instance;

    /// <summary>
    /// Clears stale restic locks (restic unlock removes only those of dead processes) and forgets the archive
    /// snapshots of backups that were never sealed, when the run that wrote them (on this machine) is gone.
    /// </summary>
    public int CleanupLeftovers()
    {
        var cleaned = new List<string>();
        // Listing the locks is one cheap call; unlock (and the count after it) only when there are any.
        var locks = Locks();
        var stale = 0;
        if (locks > 0)
        {
            Run(ResticCommand.Unlock(), "remove stale locks");
            stale = locks - Locks();
            if (stale > 0) cleaned.Add($"removed {stale} stale restic lock(s) of runs that ended without releasing them (restic unlock)");
        }
        var snapshots = SnapshotsAsync(CancellationToken.None).GetAwaiter().GetResult();
        var sealedIds = snapshots.Where(s => s.IsSeal).Select(s => s.BackupId).ToHashSet(StringComparer.Ordinal);
        var orphans = snapshots.Where(s => s.Tags.Contains(ResticTags.Data) && !sealedIds.Contains(s.BackupId) && IsDeadLocalRun(ResticTags.Value(s.Tags, "run")))
            .Select(s => s.Id).ToList();
        if (orphans.Count > 0)
        {
            Run(ResticCommand.Forget(orphans, prune: false), "forget unfinished backups");
            cleaned.Add($"forgot {orphans.Count} unsealed snapshot(s) of backups that never finished");
        }
        LeftoversCleaned = cleaned;
        return orphans.Count + stale;
    }

    public IReadOnlyList<string> LeftoversCleaned { get; private set; } = [];

    private int Locks() => Run(ResticCommand.ListLocks(), "list locks").Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;

    /// <summary>restic compresses and deduplicates, and many backends have no notion of free space: no pre-flight.</summary>
    public void EnsureFreeSpace(long neededBytes, string forWhat)
    {
    }

    /// <summary>This machine and process, as the run= tag of archive snapshots names them.</summary>
    internal static string RunTag => $"{Environment.ProcessId}@{Environment.MachineName}";

    internal ProcessStartInfo Command(IEnumerable<string> arguments, string? workingDirectory = null) =>
        ResticCommand.Build(Location, arguments, environment, password, workingDirectory);

    internal string Run(IEnumerable<string> arguments, string what) => ResticProcess.Run(Command(arguments), Location, what);

    internal Task<string> RunAsync(IEnumerable<string> arguments, string what, CancellationToken ct) =>
        ResticProcess.RunAsync(Command(arguments), Location, what, ct);

    internal async Task<List<ResticSnapshot>> SnapshotsAsync(CancellationToken ct) =>
        ResticSnapshot.ParseList(await RunAsync(ResticCommand.Snapshots(), "list snapshots", ct).ConfigureAwait(false));

    internal Stream Dump(string snapshotId, string path, string what)
    {
        var process = ResticProcess.Start(Command(ResticCommand.Dump(snapshotId, path)));
        process.StandardInput.Close();
        return new ResticDumpStream(process, Location, what);
    }

    internal BackupRecord ToRecord(BackupManifest manifest, string sealLocation, bool isProtected) =>
        BackupRecords.FromManifest(manifest, manifest.Version, sealLocation, Target, isProtected);

    private async Task<BackupRecord> RecordOfAsync(ResticSnapshot seal, CancellationToken ct)
    {
        await using var stream = Dump(seal.Id, BackupSeal.ManifestFile, "read a manifest");
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, ct).ConfigureAwait(false);
        var manifest = BackupSeal.ParseManifest(buffer.ToArray(), $"restic snapshot {seal.ShortId}");
        return BackupRecords.FromManifest(manifest, seal.Version!, seal.Location!, Target, seal.IsProtected);
    }

    /// <summary>A seal's stamp in the listing cache: the first 64 bits of its snapshot id.</summary>
    private static long StampOf(ResticSnapshot seal) => long.Parse(seal.Id.AsSpan(0, 16), System.Globalization.NumberStyles.HexNumber, null);

    /// <summary>The first segment of the Locations of a kind (all kinds for null), as <see cref="LocationOf"/> writes them.</summary>
    private static string[] KindFolders(BackupKind? kind) => kind switch
    {
        null => ["instances", "volumes", "images", "config"],
        BackupKind.Instance => ["instances"],
        BackupKind.Volume => ["volumes"],
        BackupKind.Image => ["images"],
        _ => ["config"],
    };

    private ResticSnapshot SealOf(BackupRecord backup, List<ResticSnapshot> snapshots) =>
        snapshots.Where(s => s.IsSeal && s.Location == backup.Location).OrderBy(s => s.Time).LastOrDefault()
        ?? throw new IncusBackupException(ErrorIds.BackupNotFound, ErrorKind.NotFound, $"The backup {backup} is no longer in {Target}.", backup.ToString(),
            "Pipe records from Get-IncusBackup of this repository.");

    private static bool IsDeadLocalRun(string? run)
    {
        var at = run?.IndexOf('@') ?? -1;
        return at > 0 && run![(at + 1)..] == Environment.MachineName
            && int.TryParse(run.AsSpan(0, at), out var pid) && !Posix.ProcessExists(pid);
    }

    private sealed class NoLock : IDisposable
    {
        public static readonly NoLock Instance = new();

        public void Dispose()
        {
        }
    }
}
