using System.Management.Automation;
using System.Security.Cryptography;
using IncusBackup.Tests.Infrastructure;
using Xunit;

namespace IncusBackup.Tests.Integration;

/// <summary>
/// The restore checks the archive while it uploads it and holds its last 64 KiB back until the checksum matches.
/// Against the real incusd: a damaged archive breaks the upload off, and the server keeps nothing of it (no instance,
/// no volume, no file in its backups directory), while the original stays running and unchanged. Runs alone (the
/// server's backups directory is shared with every other upload).
/// </summary>
[Collection(nameof(ProcessEnvironmentCollection))]
public sealed class CutOffUploadTests : IAsyncLifetime
{
    private const string ServerBackups = "/var/lib/incus/backups";
    private const int HoldBack = 64 << 10;
    private readonly IncusProjectFixture _incus = new();
    private readonly TempDirectory _repo = new();
    private readonly PowerShellSession _ps = PowerShellSession.Create(nonInteractive: true);
    private readonly byte[] _rootData = RandomNumberGenerator.GetBytes(1 << 20);
    private readonly byte[] _volumeData = RandomNumberGenerator.GetBytes(1 << 20);

    public async Task InitializeAsync()
    {
        if (IncusTestEnvironment.SkipReason is not null) return;
        await _incus.InitializeAsync();
        _incus.LaunchContainer("c1");
        _incus.CreateVolume("default", "v1");
        _incus.AttachVolume("default", "v1", "c1", "/data");
        _incus.WriteFile("c1", "/root/data.bin", _rootData);
        _incus.WriteFile("c1", "/data/data.bin", _volumeData);
        Run("Backup-IncusInstance -Name c1 -Project $P -Target $T; Backup-IncusVolume -Name default/v1 -Project $P -Target $T").AssertNoErrors();
    }

    public async Task DisposeAsync()
    {
        _ps.Dispose();
        _repo.Dispose();
        await _incus.DisposeAsync();
    }

    private PowerShellResult Run(string script) =>
        _ps.Invoke(script, new Dictionary<string, object?> { ["P"] = _incus.Project, ["T"] = _repo.Path });

    /// <summary>The project's instances and volumes, and the files at the top of the server's backups directory.</summary>
    private string ServerState() =>
        string.Join(" | ", _incus.ListInstances().Order()) + " || " + string.Join(" | ", _incus.ListVolumes("default").Order())
        + " || " + string.Join(" | ", Directory.EnumerateFiles(ServerBackups).Order(StringComparer.Ordinal));

    [IncusTheory]
    [InlineData("Restore-IncusInstance -Name c1 -Project $P -Target $T -Replace -Force", "instance", "before the held-back end")]
    [InlineData("Restore-IncusInstance -Name c1 -Project $P -Target $T -NewName c1-copy", "instance", "middle")]
    [InlineData("Restore-IncusVolume -Name default/v1 -Project $P -Target $T -Replace -Force", "volume", "before the held-back end")]
    [InlineData("Restore-IncusVolume -Name default/v1 -Project $P -Target $T -NewName v1-copy", "volume", "middle")]
    public void ADamagedArchive_IsBrokenOffBeforeItsEnd_AndTheServerKeepsNothing(string restore, string kind, string where)
    {
        var record = Assert.Single(Run($"Get-IncusBackup -Target $T -Kind {kind}").Output);
        var file = ArchiveContents.ArchivePath(record);
        var original = File.ReadAllBytes(file);
        Assert.True(original.Length > 4 * HoldBack, $"the archive has {original.Length} bytes");
        var damaged = (byte[])original.Clone();
        // Before the held-back end, the server receives all but the last 64 KiB; in the middle, a decompressor meets it first.
        damaged[where == "middle" ? damaged.Length / 2 : damaged.Length - HoldBack - 1000] ^= 0x01;
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllBytes(file, damaged);
        try
        {
            var before = ServerState();

            var result = Run(restore);

            var error = Assert.Single(result.Errors);
            Assert.StartsWith("ChecksumMismatch,", error.FullyQualifiedErrorId, StringComparison.Ordinal);
            Assert.Contains("nothing was imported", error.ErrorDetails?.RecommendedAction ?? "", StringComparison.Ordinal);
            Assert.Empty(result.Output);
            // The server removes its copy of a broken-off upload as its handler returns, which may be just after we hear of it.
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (ServerState() != before && DateTime.UtcNow < deadline) Thread.Sleep(200);
            Assert.Equal(before, ServerState());
            Assert.Equal("Running", _incus.InstanceState("c1"));
            Assert.Equal(_rootData, _incus.ReadFile("c1", "/root/data.bin"));
            Assert.Equal(_volumeData, _incus.ReadFile("c1", "/data/data.bin"));
        }
        finally
        {
            File.WriteAllBytes(file, original);
        }
    }

    [IncusFact]
    public void AnIntactArchive_StillRestoresByteForByte()
    {
        var result = Run("Restore-IncusInstance -Name c1 -Project $P -Target $T -NewName c1-good -Start");

        result.AssertNoErrors();
        Assert.Equal("Restored", PowerShellSession.Prop<object>(Assert.Single<PSObject>(result.Output), "Action")!.ToString());
        Assert.Equal(_rootData, _incus.ReadFile("c1-good", "/root/data.bin"));
        _incus.Incus("delete", "-f", "c1-good");
    }
}
