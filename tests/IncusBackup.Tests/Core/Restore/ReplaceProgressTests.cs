using IncusBackup.Incus;
using IncusBackup.Restore;
using Xunit;

namespace IncusBackup.Tests.Core.Restore;

/// <summary>A replace spends seconds stopping, swapping and starting after the upload: its progress names each phase.</summary>
public sealed class ReplaceProgressTests : IDisposable
{
    private readonly RestoreFixture _f = new();

    public void Dispose() => _f.Dispose();

    [Fact]
    public async Task AReplace_ReportsEachPhaseAfterTheUpload_InOrder_UnderTheRestoresName()
    {
        _f.Incus.AddInstance("p", "a1", InstanceStatus.Running);
        var plan = await _f.PlanAsync(RestoreFixture.Request(await _f.PublishInstanceAsync()) with { Conflict = ConflictMode.Replace }, BackupKind.Instance);

        await _f.ExecuteAsync(plan);

        var phases = _f.Reporter.ProgressReports.Select(p => p.Phase).Distinct().ToList();
        Assert.Equal(
            ["Uploading", "Restoring on the server", "Stop instance", "Swap restored instance in", "Start instance", "Delete original instance"],
            phases);
        Assert.All(_f.Reporter.ProgressReports.Where(p => p.Phase is "Stop instance" or "Swap restored instance in"), p => Assert.Equal(plan.Describe, p.Item));
        Assert.Equal("p/a1-ibold", _f.Reporter.ProgressReports.Single(p => p.Phase == "Delete original instance").Detail);
        Assert.Equal(plan.Describe, plan.ToString());
    }
}
