using System.Text.Json;
using IncusBackup.Backup;
using IncusBackup.Incus;
using IncusBackup.Tests.Fakes;
using Xunit;

namespace IncusBackup.Tests.Core.Backup;

/// <summary>
/// A run killed while it held an instance frozen: the next run finds the journal entry of the dead run and thaws
/// the instance; entries of live runs, of other servers, and of instances thawed or gone in the meantime are handled
/// without touching anything that is not ours to thaw.
/// </summary>
public sealed class FreezeJournalTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "ib-journal-" + Guid.NewGuid().ToString("N"));
    private readonly InMemoryIncus _incus = new();
    private readonly RecordingReporter _reporter = new();

    public FreezeJournalTests() => _incus.ProjectNames.Add("p");

    public void Dispose()
    {
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }

    /// <summary>A pid no process has.</summary>
    internal static int DeadPid()
    {
        var pid = 4_000_000;
        while (Directory.Exists($"/proc/{pid}")) pid++;
        return pid;
    }

    internal static string CurrentBootId() => File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim();

    internal static string WriteEntry(string directory, string server, string project, string name, int pid, string bootId)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, $"{pid}-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["server"] = server, ["project"] = project, ["name"] = name, ["pid"] = pid, ["boot_id"] = bootId, ["frozen_at"] = "2026-12-01T02:00:00+00:00",
        }));
        return path;
    }

    private Task SweepAsync() => new FreezeJournal(_directory).ThawLeftoversAsync(_incus, _reporter, CancellationToken.None);

    [Fact]
    public async Task ADeadRunsFreeze_IsThawed_WithAWarningThatSaysWhat_AndCrossedOut()
    {
        var c1 = _incus.AddInstance("p", "c1", InstanceStatus.Frozen);
        var pid = DeadPid();
        WriteEntry(_directory, "memory", "p", "c1", pid, CurrentBootId());

        await SweepAsync();

        Assert.Equal(InstanceStatus.Running, c1.Status);
        Assert.Equal([$"Thawed p/c1: a backup run (pid {pid}) froze it at 2026-12-01 02:00:00Z and was stopped before it could thaw it."], _reporter.Warnings);
        Assert.Empty(Directory.GetFiles(_directory));
    }

    [Fact]
    public async Task AFreezeFromBeforeAReboot_IsAlsoDead_EvenWhenItsPidIsTakenAgain()
    {
        var c1 = _incus.AddInstance("p", "c1", InstanceStatus.Frozen);
        WriteEntry(_directory, "memory", "p", "c1", pid: 1, bootId: "another-boot");

        await SweepAsync();

        Assert.Equal(InstanceStatus.Running, c1.Status);
    }

    [Fact]
    public async Task ALiveRunsFreeze_IsLeftAlone()
    {
        var c1 = _incus.AddInstance("p", "c1", InstanceStatus.Frozen);
        // pid 1 lives as long as the machine does.
        WriteEntry(_directory, "memory", "p", "c1", pid: 1, CurrentBootId());

        await SweepAsync();

        Assert.Equal(InstanceStatus.Frozen, c1.Status);
        Assert.Single(Directory.GetFiles(_directory));
        Assert.Empty(_reporter.Warnings);
    }

    [Fact]
    public async Task AnotherServersFreeze_IsLeftForARunAgainstThatServer()
    {
        var c1 = _incus.AddInstance("p", "c1", InstanceStatus.Frozen);
        WriteEntry(_directory, "elsewhere", "p", "c1", DeadPid(), CurrentBootId());

        await SweepAsync();

        Assert.Equal(InstanceStatus.Frozen, c1.Status);
        Assert.Single(Directory.GetFiles(_directory));
    }

    [Fact]
    public async Task AnInstanceThawedOrDeletedSince_OnlyHasItsEntryDropped()
    {
        var c1 = _incus.AddInstance("p", "c1", InstanceStatus.Running);
        WriteEntry(_directory, "memory", "p", "c1", DeadPid(), CurrentBootId());
        WriteEntry(_directory, "memory", "p", "gone", DeadPid(), CurrentBootId());
        WriteEntry(_directory, "memory", "no-such-project", "c1", DeadPid(), CurrentBootId());

        await SweepAsync();

        Assert.Equal(InstanceStatus.Running, c1.Status);
        Assert.DoesNotContain(_incus.Calls, c => c.Contains("freeze", StringComparison.Ordinal));
        Assert.Empty(Directory.GetFiles(_directory));
        Assert.Empty(_reporter.Warnings);
    }

    [Fact]
    public async Task AThawTheServerRefuses_IsAWarningWithTheCommandToRun_AndTheEntryStays()
    {
        _incus.AddInstance("p", "c1", InstanceStatus.Frozen);
        WriteEntry(_directory, "memory", "p", "c1", DeadPid(), CurrentBootId());
        _incus.FailOn = call => call == "unfreeze p/c1" ? new IncusApiException(500, "thaw failed") : null;

        await SweepAsync();

        var warning = Assert.Single(_reporter.Warnings);
        Assert.Contains("could not be thawed: thaw failed", warning, StringComparison.Ordinal);
        Assert.EndsWith("Run: incus start c1 --project p", warning, StringComparison.Ordinal);
        Assert.Single(Directory.GetFiles(_directory));
    }

    [Fact]
    public async Task AnUnreadableEntry_IsSkipped()
    {
        Directory.CreateDirectory(_directory);
        await File.WriteAllTextAsync(Path.Combine(_directory, "1-x.json"), "{ not json");

        await SweepAsync();

        Assert.Empty(_reporter.Warnings);
    }

    [Fact]
    public void ForCurrentUser_LivesUnderXdgStateHome() =>
        Assert.EndsWith(Path.Combine("incus-backup", "frozen"), FreezeJournal.ForCurrentUser().Directory, StringComparison.Ordinal);
}
