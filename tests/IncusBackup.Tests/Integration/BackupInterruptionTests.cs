using System.Diagnostics;
using IncusBackup.Tests.Infrastructure;
using Xunit;

namespace IncusBackup.Tests.Integration;

/// <summary>A running container holding 96 MiB of random data: big enough to interrupt mid-backup.</summary>
public sealed class BigContainerScenario : IAsyncLifetime
{
    public IncusProjectFixture Incus { get; } = new();

    public async Task InitializeAsync()
    {
        await Incus.InitializeAsync();
        if (!Incus.IsCreated) return;
        Incus.LaunchContainer("big");
        Incus.Exec("big", "head -c 100663296 /dev/urandom > /root/random.bin && sync");
    }

    public Task DisposeAsync() => Incus.DisposeAsync();
}

/// <summary>Ctrl+C and a full disk in the middle of a real backup: nothing half-done may remain anywhere.</summary>
public sealed class BackupInterruptionTests(BigContainerScenario scenario) : IClassFixture<BigContainerScenario>, IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly PowerShellSession _ps = PowerShellSession.Create(nonInteractive: true);

    public void Dispose()
    {
        _ps.Dispose();
        _dir.Dispose();
    }

    /// <summary>Where the local incusd writes the server-side backups of the container "big".</summary>
    private string ServerBackupFolder => $"/var/lib/incus/backups/instances/{scenario.Incus.Project}_big";

    [IncusFact]
    public void CtrlC_WhileTheServerWritesTheBackup_StopsAndCleansUpEverywhere()
    {
        var repo = _dir.Combine("repo");
        // The clean-up after a stop here waits up to 10 s for the server's write to end (ServerExport), and in the
        // full suite the server is busy with other tests: allow what the duration assertion below allows, and more,
        // so that a slow stop fails that assertion with its duration instead of a timeout.
        _ps.StopGracePeriod = TimeSpan.FromSeconds(60);
        var result = _ps.StopWhen(
            "Backup-IncusInstance -Name big -Project $P -Target $T -Compression gzip",
            // The server's own backups folder, not the API: a backup listing that starts just before the export
            // can wait until it has ended, and the stop then comes too late.
            () => Directory.Exists(ServerBackupFolder) && Directory.EnumerateFileSystemEntries(ServerBackupFolder).Any(),
            TimeSpan.FromSeconds(60),
            new Dictionary<string, object?> { ["P"] = scenario.Incus.Project, ["T"] = repo });

        Assert.True(result.WasStopped, $"not stopped (stop requested: {result.StopRequested}, terminating error: {result.TerminatingError}, output: {result.Output.Count}): {result.DescribeErrors()}");
        Assert.Empty(result.Output);
        Assert.True(result.StopDuration < TimeSpan.FromSeconds(45), $"stopping took {result.StopDuration}");
        Assert.Empty(scenario.Incus.ListServerBackups("big"));
        Assert.Equal("Running", scenario.Incus.InstanceState("big"));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(repo, ".incomplete")));
        Assert.False(Directory.Exists(Path.Combine(repo, "instances", scenario.Incus.Project, "big")) &&
                     Directory.EnumerateDirectories(Path.Combine(repo, "instances", scenario.Incus.Project, "big")).Any());
    }

    [IncusFact]
    public void DiskFillsUpMidDownload_GivesTargetFull_AndNoPartialBackupIsListed()
    {
        var mount = _dir.Combine("small");
        Directory.CreateDirectory(mount);
        MountTmpfs(mount, "4m");
        try
        {
            var result = _ps.Invoke("Backup-IncusInstance -Name big -Project $P -Target $T -Compression none; Get-IncusBackup -Target $T",
                new Dictionary<string, object?> { ["P"] = scenario.Incus.Project, ["T"] = mount });

            var error = Assert.Single(result.Errors);
            Assert.StartsWith("TargetFull,", error.FullyQualifiedErrorId, StringComparison.Ordinal);
            Assert.Empty(result.Output);
            Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(mount, ".incomplete")));
            Assert.Empty(scenario.Incus.ListServerBackups("big"));
            Assert.Equal("Running", scenario.Incus.InstanceState("big"));
        }
        finally
        {
            Unmount(mount);
        }
    }

    [IncusFact]
    public void TargetWithoutRoom_IsRefusedBeforeAnyExport()
    {
        var mount = _dir.Combine("tiny");
        Directory.CreateDirectory(mount);
        MountTmpfs(mount, "256k");
        try
        {
            var result = _ps.Invoke("Backup-IncusInstance -Name big -Project $P -Target $T",
                new Dictionary<string, object?> { ["P"] = scenario.Incus.Project, ["T"] = mount });

            Assert.StartsWith("TargetInsufficientSpace,", Assert.Single(result.Errors).FullyQualifiedErrorId, StringComparison.Ordinal);
            Assert.NotNull(result.Errors[0].ErrorDetails?.RecommendedAction);
            Assert.Empty(scenario.Incus.ListServerBackups("big"));
        }
        finally
        {
            Unmount(mount);
        }
    }

    private static void MountTmpfs(string path, string size) => RunRoot("mount", "-t", "tmpfs", "-o", $"size={size},mode=0700", "tmpfs", path);

    private static void Unmount(string path) => RunRoot("umount", path);

    private static void RunRoot(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardError = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', args)} failed: {stderr}");
    }
}

/// <summary>Tests that change the process environment: they run alone, never beside other tests.</summary>
[CollectionDefinition(nameof(ProcessEnvironmentCollection), DisableParallelization = true)]
public sealed class ProcessEnvironmentCollection;

[Collection(nameof(ProcessEnvironmentCollection))]
public sealed class UnreachableIncusTests : IDisposable
{
    private readonly PowerShellSession _ps = PowerShellSession.Create(nonInteractive: true);
    private readonly TempDirectory _repo = new();

    public void Dispose()
    {
        _ps.Dispose();
        _repo.Dispose();
    }

    [Fact]
    public void MissingSocket_IsOneTerminatingErrorThatSaysHowToFixIt()
    {
        var before = Environment.GetEnvironmentVariable("INCUS_SOCKET");
        Environment.SetEnvironmentVariable("INCUS_SOCKET", _repo.Combine("no-such.socket"));
        try
        {
            var result = _ps.Invoke("Backup-IncusInstance -Name a, b -Target $T", new Dictionary<string, object?> { ["T"] = _repo.Path });

            var error = Assert.Single(result.Errors);
            Assert.StartsWith("IncusUnreachable,", error.FullyQualifiedErrorId, StringComparison.Ordinal);
            Assert.Contains("INCUS_SOCKET", error.ErrorDetails?.RecommendedAction ?? "", StringComparison.Ordinal);
            Assert.False(Directory.Exists(_repo.Combine("instances")));
            Assert.False(File.Exists(_repo.Combine("metadata.json")));
        }
        finally
        {
            Environment.SetEnvironmentVariable("INCUS_SOCKET", before);
        }
    }

    [Fact]
    public void TargetFromEnvironment_IsUsedWhenNoParameterIsGiven()
    {
        var before = Environment.GetEnvironmentVariable("INCUS_BACKUP_TARGET");
        Environment.SetEnvironmentVariable("INCUS_BACKUP_TARGET", "dir:" + _repo.Combine("from-env"));
        try
        {
            var result = _ps.Invoke("Get-IncusBackup");
            var error = Assert.Single(result.Errors);
            Assert.StartsWith("TargetNotFound,", error.FullyQualifiedErrorId, StringComparison.Ordinal);
            Assert.Contains("from-env", error.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable("INCUS_BACKUP_TARGET", before);
        }
    }
}
