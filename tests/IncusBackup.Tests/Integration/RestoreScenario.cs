using System.Security.Cryptography;
using System.Text.Json;
using IncusBackup.Tests.Infrastructure;
using Xunit;

namespace IncusBackup.Tests.Integration;

/// <summary>
/// What the restore tests need, in their own Incus projects: a running container "c1" with a file, a snapshot
/// holding an older version of that file, and an attached custom volume "v1" with a file of its own; a stopped
/// container (<see cref="NicInstance"/>) with a NIC on incusbr0 and an extra profile "pextra"; a second project, a second dir pool, a
/// second bridge and a profile "pother" as mapping targets; and a repository holding backups of c1, v1 and c2.
/// </summary>
public sealed class RestoreScenario : IAsyncLifetime
{
    private readonly string _suffix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));

    public IncusProjectFixture Incus { get; } = new();
    public IncusProjectFixture Other { get; } = new();
    public TempDirectory Repository { get; } = new();

    public byte[] RootFile { get; } = RandomNumberGenerator.GetBytes(250_000);
    public byte[] SnapshotFile { get; } = RandomNumberGenerator.GetBytes(120_000);
    public byte[] VolumeFile { get; } = RandomNumberGenerator.GetBytes(180_000);

    public string Project => Incus.Project;
    public string OtherProject => Other.Project;
    public string SecondPool => "tp-" + _suffix;
    public string SecondBridge => "tbr" + _suffix;
    public string Target => "dir:" + Repository.Path;

    /// <summary>The stopped container with a NIC; unique, since instance names are DNS names on the shared bridge.</summary>
    public string NicInstance => "n" + _suffix;

    public async Task InitializeAsync()
    {
        await Incus.InitializeAsync();
        await Other.InitializeAsync();
        if (!Incus.IsCreated) return;
        IncusCli.Run("storage", "create", SecondPool, "dir");
        IncusCli.Run("network", "create", SecondBridge, "ipv4.address=10.98." + (Convert.ToInt32(_suffix[..2], 16) % 250 + 1) + ".1/24", "ipv4.nat=false", "ipv6.address=none");
        Incus.Incus("profile", "create", "pextra");
        Incus.Incus("profile", "set", "pextra", "user.marker=extra");
        Incus.Incus("profile", "create", "pother");
        Incus.Incus("profile", "set", "pother", "user.marker=other");

        Incus.LaunchContainer("c1");
        Incus.WriteFile("c1", "/root/known.bin", SnapshotFile);
        Incus.CreateSnapshot("c1", "snap1");
        Incus.WriteFile("c1", "/root/known.bin", RootFile);
        Incus.CreateVolume(IncusProjectFixture.DefaultPool, "v1");
        Incus.AttachVolume(IncusProjectFixture.DefaultPool, "v1", "c1", "/data");
        Incus.WriteFile("c1", "/data/vol.bin", VolumeFile);

        Incus.Incus("init", IncusProjectFixture.DefaultImage, NicInstance, "--profile", "default", "--profile", "pextra");
        Incus.Incus("config", "device", "add", NicInstance, "eth0", "nic", "network=incusbr0", "name=eth0");

        using var ps = PowerShellSession.Create(nonInteractive: true);
        ps.Invoke("Backup-IncusInstance -Name c1, $N -Project $P -Target $T; Backup-IncusVolume -Name default/v1 -Project $P -Target $T",
            new Dictionary<string, object?> { ["P"] = Project, ["T"] = Target, ["N"] = NicInstance }).AssertNoErrors();
    }

    public async Task DisposeAsync()
    {
        await Incus.DisposeAsync();
        await Other.DisposeAsync();
        if (IncusCli.Available)
        {
            IncusCli.Execute(["network", "delete", SecondBridge]);
            IncusCli.Execute(["storage", "delete", SecondPool]);
        }
        Repository.Dispose();
    }

    /// <summary>An instance's config as the API returns it, for assertions.</summary>
    public JsonElement Instance(string project, string name) => IncusCli.Query($"/1.0/instances/{name}?project={project}");

    /// <summary>Everything on the server a restore could change, as text, to compare before and after.</summary>
    public string ServerState()
    {
        var parts = new List<string>();
        foreach (var project in new[] { Project, OtherProject })
        {
            parts.Add(IncusCli.Query($"/1.0/instances?recursion=1&project={project}").ToString());
            parts.Add(IncusCli.Query($"/1.0/storage-pools/default/volumes/custom?recursion=1&project={project}").ToString());
            parts.Add(IncusCli.Query($"/1.0/profiles?recursion=1&project={project}").ToString());
            foreach (var instance in IncusCli.Query($"/1.0/instances?project={project}").EnumerateArray())
            {
                var name = instance.GetString()!.Split('?')[0].Split('/')[^1];
                parts.Add(string.Join(",", IncusCli.Query($"/1.0/instances/{name}/snapshots?project={project}").EnumerateArray().Select(s => s.GetString())));
            }
        }
        return string.Join("\n", parts);
    }

    /// <summary>Every file in the repository with its size and modification time.</summary>
    public string RepositoryState() =>
        string.Join("\n", Directory.EnumerateFileSystemEntries(Repository.Path, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(p => $"{p} {(File.Exists(p) ? new FileInfo(p).Length + " " + File.GetLastWriteTimeUtc(p).Ticks : "dir")}"));
}
