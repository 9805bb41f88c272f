using IncusBackup.Incus;
using IncusBackup.Restore;
using Xunit;

namespace IncusBackup.Tests.Core.Restore;

/// <summary>
/// Incus deletes an ephemeral instance when it stops. A swap stops instances, so without care it would destroy the
/// original it promises to keep until the end, or a user of a volume it only meant to pause.
/// </summary>
public sealed class EphemeralInstanceTests : IDisposable
{
    private readonly RestoreFixture _f = new();

    public void Dispose() => _f.Dispose();

    private static Func<string, Task> FailAt(string action) =>
        a => a == action ? Task.FromException(new IncusApiException(500, $"injected at {action}")) : Task.CompletedTask;

    private async Task<RestorePlan> PlanAsync(BackupKind kind)
    {
        var backup = kind == BackupKind.Instance ? await _f.PublishInstanceAsync() : await _f.PublishVolumeAsync();
        return await _f.PlanAsync(RestoreFixture.Request(backup) with { Conflict = ConflictMode.Replace }, kind);
    }

    [Fact]
    public async Task ReplacingARunningEphemeralInstance_KeepsTheOriginalUntilTheSwap_AndNothingIsDeletedByTheStop()
    {
        _f.Incus.AddInstance("p", "a1", InstanceStatus.Running).Ephemeral = true;
        var plan = await PlanAsync(BackupKind.Instance);

        var result = await _f.ExecuteAsync(plan);

        Assert.Equal(RestoreAction.Replaced, result.Action);
        Assert.Equal(["p/a1"], plan.EphemeralInstances);
        Assert.DoesNotContain(_f.Incus.Calls, c => c.StartsWith("ephemeral", StringComparison.Ordinal));
        Assert.Equal(
            ["update instance p/a1", "stop p/a1", "rename instance p/a1 a1-ibold"],
            _f.Incus.Calls.SkipWhile(c => !c.StartsWith("update", StringComparison.Ordinal)).Take(3));
        Assert.Equal(["p/a1"], _f.InstanceNames());
        Assert.Equal(InstanceStatus.Running, _f.Incus.FindInstance("p", "a1")!.Status);
    }

    [Theory]
    [InlineData("stop")]
    [InlineData("swap")]
    [InlineData("start")]
    public async Task AFailedReplaceOfAnEphemeralInstance_BringsTheOriginalBack_RunningAndEphemeral(string action)
    {
        var original = _f.Incus.AddInstance("p", "a1", InstanceStatus.Running);
        original.Ephemeral = true;
        var plan = await PlanAsync(BackupKind.Instance);

        await Assert.ThrowsAsync<IncusBackup.Errors.IncusBackupException>(() => _f.ExecuteAsync(plan, FailAt(action)));

        Assert.Same(original, _f.Incus.FindInstance("p", "a1"));
        Assert.Equal(InstanceStatus.Running, original.Status);
        Assert.True(original.Ephemeral);
        Assert.Equal(["p/a1"], _f.InstanceNames());
    }

    [Fact]
    public async Task AnEphemeralUserOfAReplacedVolume_IsPausedNotDeleted_AndIsEphemeralAgainAfterwards()
    {
        var volume = _f.Incus.AddVolume("p", "default", "v1");
        var user = _f.Incus.AddInstance("p", "c1", InstanceStatus.Running);
        user.Ephemeral = true;
        _f.Incus.Attach(user, "default", volume);
        var plan = await PlanAsync(BackupKind.Volume);

        var result = await _f.ExecuteAsync(plan);

        Assert.Equal(["p/c1"], result.RestartedInstances);
        Assert.Same(user, _f.Incus.FindInstance("p", "c1"));
        Assert.Equal(InstanceStatus.Running, user.Status);
        Assert.True(user.Ephemeral);
        Assert.Equal("v1", user.Devices["data"]["source"]);
        Assert.DoesNotContain(_f.Incus.Calls, c => c.StartsWith("ephemeral", StringComparison.Ordinal));
    }
}
