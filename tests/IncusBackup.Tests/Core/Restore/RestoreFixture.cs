using System.Security.Cryptography;
using System.Text.Json;
using IncusBackup.Archive;
using IncusBackup.Incus;
using IncusBackup.Repository;
using IncusBackup.Repository.Directory;
using IncusBackup.Restore;
using IncusBackup.Tests.Core.Archive;
using IncusBackup.Tests.Fakes;
using Xunit;

namespace IncusBackup.Tests.Core.Restore;

/// <summary>
/// A temporary directory repository and an in-memory Incus server with project "p" and pools default and fast,
/// with helpers to publish backups of <see cref="TestArchives"/> under a correct seal, and to plan and run restores.
/// One per test: the server and the repository are fresh each time.
/// </summary>
internal sealed class RestoreFixture : IDisposable
{
    public const string Version = "20260102T030405Z";
    private static readonly DateTime Moment = new(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc);
    private static readonly Lazy<byte[]> ContainerGzip = new(() => TestArchives.Compress(TestArchives.Container(), CompressionKind.Gzip));
    private static readonly Lazy<byte[]> VolumeGzip = new(() => TestArchives.Compress(TestArchives.CustomVolume(), CompressionKind.Gzip));

    public RestoreFixture()
    {
        Root = Path.Combine(Path.GetTempPath(), "ib-restore-" + Guid.NewGuid().ToString("N"));
        Repository = DirectoryRepository.OpenForWrite(Root, "test");
        Incus.ProjectNames.Add("p");
        Incus.PoolNames.Add("fast");
    }

    /// <summary>The gzip-compressed container export (index.yaml: a1 in pool default; references pools default and fast).</summary>
    public static byte[] InstanceArchive => ContainerGzip.Value;

    /// <summary>The gzip-compressed export of custom volume v1 in pool default.</summary>
    public static byte[] VolumeArchive => VolumeGzip.Value;

    public string Root { get; }
    public DirectoryRepository Repository { get; }
    public InMemoryIncus Incus { get; } = new();

    /// <summary>The server plans and restores use: <see cref="Incus"/> itself unless a test wraps it.</summary>
    public IIncusServer Server
    {
        get => field ?? Incus;
        set;
    }

    public RecordingReporter Reporter { get; } = new();

    /// <summary>Where the restores of this fixture write their journal (not the user's own state folder).</summary>
    public string JournalDirectory { get; } = Path.Combine(Path.GetTempPath(), "ib-restores-" + Guid.NewGuid().ToString("N"));

    /// <summary>The journal entries left in <see cref="JournalDirectory"/>.</summary>
    public string[] JournalEntries() => Directory.Exists(JournalDirectory) ? Directory.GetFiles(JournalDirectory, "*.json") : [];

    public void Dispose()
    {
        if (Directory.Exists(Root)) Directory.Delete(Root, recursive: true);
        if (Directory.Exists(JournalDirectory)) Directory.Delete(JournalDirectory, recursive: true);
    }

    /// <summary>Publishes an instance backup of p/<paramref name="name"/> (the container export unless another archive is given).</summary>
    public Task<BackupRecord> PublishInstanceAsync(string name = "a1", byte[]? archive = null, JsonElement? source = null) =>
        PublishAsync(BackupKind.Instance, "instance", name, archive ?? InstanceArchive, source);

    /// <summary>Publishes a volume backup of p/default/<paramref name="name"/> (the custom volume export unless another archive is given).</summary>
    public Task<BackupRecord> PublishVolumeAsync(string name = "v1", byte[]? archive = null) =>
        PublishAsync(BackupKind.Volume, "volume", name, archive ?? VolumeArchive, source: null);

    /// <summary>Publishes a backup whose folder is of <paramref name="folderKind"/> and whose manifest says <paramref name="manifestKind"/>.</summary>
    public async Task<BackupRecord> PublishAsync(BackupKind folderKind, string manifestKind, string name, byte[] archive, JsonElement? source)
    {
        using var staged = Repository.BeginBackup(new ResourceKey(folderKind, "p", folderKind == BackupKind.Volume ? "default" : null, name));
        await using (var file = staged.CreateFile("backup.tar.gz"))
            await file.WriteAsync(archive);
        var manifest = new BackupManifest
        {
            Kind = manifestKind, Project = "p", Pool = "default", Name = name,
            Options = new ManifestOptions { DetectedCompression = "gzip", Consistency = "Stopped", ExportMethod = "Direct" },
            Source = source,
            Snapshots = SnapshotsOf(archive),
            Files = [new ManifestFile { Name = "backup.tar.gz", Size = archive.Length, Sha256 = Sha256(archive) }],
        };
        return await staged.PublishAsync(manifest, BackupVersion.At(Moment), CancellationToken.None);
    }

    public static RestoreRequest Request(BackupRecord backup) => new() { Backup = backup };

    public Task<RestorePlan> PlanAsync(RestoreRequest request, BackupKind kind) =>
        new RestorePlanner(Server).PlanAsync(Repository, request, kind, CancellationToken.None);

    public Task<RestoreResult> ExecuteAsync(RestorePlan plan, Func<string, Task>? beforeAction = null) =>
        new RestoreExecutor { BeforeAction = beforeAction, Journal = new RestoreJournal(JournalDirectory) }.ExecuteAsync(plan, Reporter, CancellationToken.None);

    /// <summary>
    /// Runs a plan as a process that is killed (SIGKILL) just before <paramref name="action"/>: nothing is rolled back,
    /// and its journal entry stays, written by a pid that no longer exists.
    /// </summary>
    public async Task ExecuteUntilKilledAsync(RestorePlan plan, string action)
    {
        var executor = new RestoreExecutor
        {
            BeforeAction = a => a == action ? throw new SimulatedKill(a) : Task.CompletedTask,
            Killed = e => e is SimulatedKill,
            Journal = new RestoreJournal(JournalDirectory) { ProcessId = DeadPid() },
        };
        await Assert.ThrowsAsync<SimulatedKill>(() => executor.ExecuteAsync(plan, Reporter, CancellationToken.None));
    }

    /// <summary>Recovers what dead runs left, as the next Restore-* run does before it plans.</summary>
    public Task RecoverAsync() => new RestoreJournal(JournalDirectory).RecoverAsync(Server, Reporter, CancellationToken.None);

    /// <summary>A pid no process has.</summary>
    public static int DeadPid()
    {
        var pid = 4_000_000;
        while (Directory.Exists($"/proc/{pid}")) pid++;
        return pid;
    }

    public static string ArchivePath(BackupRecord backup) => Path.Combine(backup.Location, backup.ArchiveName);

    /// <summary>Replaces the archive and writes a new manifest and checksums.txt that vouch for it, as a forger would.</summary>
    public static void ReplaceArchiveAndReseal(BackupRecord backup, byte[] content)
    {
        File.WriteAllBytes(ArchivePath(backup), content);
        var manifestPath = Path.Combine(backup.Location, BackupSeal.ManifestFile);
        var manifest = BackupSeal.ParseManifest(File.ReadAllBytes(manifestPath), "test");
        manifest.Files[0].Size = content.Length;
        manifest.Files[0].Sha256 = Sha256(content);
        var seal = BackupSeal.Create(manifest);
        File.WriteAllBytes(manifestPath, seal.ManifestBytes);
        File.WriteAllBytes(Path.Combine(backup.Location, BackupSeal.ChecksumsFile), seal.ChecksumsBytes);
    }

    /// <summary>Overwrites <paramref name="count"/> bytes of the archive at <paramref name="offset"/> with zeros, leaving the seal as it was.</summary>
    public static void CorruptArchive(BackupRecord backup, long offset, int count = 16)
    {
        using var file = new FileStream(ArchivePath(backup), FileMode.Open, FileAccess.Write);
        file.Position = offset;
        file.Write(new byte[count]);
    }

    /// <summary>The snapshots the archive's index.yaml lists, as a backup records them; none when it is not an archive.</summary>
    public static List<string> SnapshotsOf(byte[] archive)
    {
        try
        {
            return [.. BackupIndex.ReadIndex(new MemoryStream(archive)).Snapshots];
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            return [];
        }
    }

    public static string Sha256(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));

    /// <summary>Names of every instance on the server, as project/name, sorted.</summary>
    public List<string> InstanceNames() => [.. Incus.InstanceList.Select(i => $"{i.Project}/{i.Name}").Order(StringComparer.Ordinal)];

    /// <summary>Names of every volume on the server, as project/pool/name, sorted.</summary>
    public List<string> VolumeNames() => [.. Incus.VolumeList.Select(v => $"{v.Volume.Project}/{v.Pool}/{v.Volume.Name}").Order(StringComparer.Ordinal)];
}

/// <summary>What a test throws where a real run would have been killed: the executor lets it through untouched.</summary>
internal sealed class SimulatedKill(string action) : Exception($"killed before '{action}'");
