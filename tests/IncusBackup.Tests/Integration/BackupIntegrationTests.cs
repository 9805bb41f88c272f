using System.Diagnostics;
using System.Management.Automation;
using IncusBackup.Tests.Infrastructure;
using Xunit;

namespace IncusBackup.Tests.Integration;

/// <summary>Backup-IncusInstance, Backup-IncusVolume and Get-IncusBackup against the real incusd.</summary>
public sealed class BackupIntegrationTests(BackupScenario scenario) : IClassFixture<BackupScenario>, IDisposable
{
    private readonly TempDirectory _repo = new();
    private readonly PowerShellSession _ps = PowerShellSession.Create(nonInteractive: true);

    public void Dispose()
    {
        _ps.Dispose();
        _repo.Dispose();
    }

    private string Target => "dir:" + _repo.Path;

    private PowerShellResult Run(string script) =>
        _ps.Invoke(script, new Dictionary<string, object?> { ["P"] = scenario.Project, ["T"] = Target });

    private static T Prop<T>(PSObject o, string name) => PowerShellSession.Prop<T>(o, name)!;

    [IncusFact]
    public void BackupInstance_ArchiveHoldsTheExactBytesOfRootfsAndSnapshot_AndLeavesNothingOnTheServer()
    {
        var result = Run("Backup-IncusInstance -Name c1 -Project $P -Target $T");

        result.AssertNoErrors();
        var record = Assert.Single(result.Output);
        Assert.Equal("IncusBackup.BackupRecord", record.BaseObject.GetType().FullName);
        Assert.Equal("Instance", Prop<object>(record, "Kind").ToString());
        Assert.Equal(scenario.Project, Prop<string>(record, "Project"));
        Assert.Equal("c1", Prop<string>(record, "Name"));
        Assert.Equal("zstd", Prop<string>(record, "Compression"));
        Assert.Equal("Frozen", Prop<string>(record, "Consistency"));
        Assert.Equal(["snap1"], Prop<string[]>(record, "Snapshots"));
        var file = ArchiveContents.ArchivePath(record);
        Assert.EndsWith("export.tar.zst", file, StringComparison.Ordinal);
        Assert.StartsWith(Path.Combine(_repo.Path, "instances", scenario.Project, "c1"), file, StringComparison.Ordinal);

        var files = ArchiveContents.ReadFiles(file, n => n.EndsWith("/root/known.bin", StringComparison.Ordinal));
        Assert.Equal(scenario.RootFileNow, files["backup/container/rootfs/root/known.bin"]);
        Assert.Equal(scenario.RootFileInSnapshot, files["backup/snapshots/snap1/rootfs/root/known.bin"]);
        Assert.Equal("backup/index.yaml", ArchiveContents.EntryNames(file)[0]);

        AssertSha256sumAccepts(PowerShellSession.Prop<string>(record, "Location")!);
        Assert.Empty(scenario.Incus.ListServerBackups("c1"));
        Assert.Equal(["snap1"], scenario.Incus.ListSnapshots("c1"));
        Assert.Equal("Running", scenario.Incus.InstanceState("c1"));
        Assert.False(Directory.EnumerateFileSystemEntries(Path.Combine(_repo.Path, ".incomplete")).Any());
    }

    [IncusFact]
    public void BackupVolume_ArchiveHoldsTheVolumeFile()
    {
        var result = Run("Backup-IncusVolume -Name default/v1 -Project $P -Target $T");

        result.AssertNoErrors();
        var record = Assert.Single(result.Output);
        Assert.Equal("Volume", Prop<object>(record, "Kind").ToString());
        Assert.Equal("default", Prop<string>(record, "Pool"));
        Assert.Equal("v1", Prop<string>(record, "Name"));
        Assert.Equal("Frozen", Prop<string>(record, "Consistency")); // c1 uses it and runs
        var file = ArchiveContents.ArchivePath(record);
        Assert.StartsWith(Path.Combine(_repo.Path, "volumes", scenario.Project, "default", "v1"), file, StringComparison.Ordinal);
        var files = ArchiveContents.ReadFiles(file, n => n.EndsWith("vol.bin", StringComparison.Ordinal));
        Assert.Equal(scenario.VolumeFile, files["backup/volume/vol.bin"]);
        AssertSha256sumAccepts(PowerShellSession.Prop<string>(record, "Location")!);
        Assert.Empty(scenario.Incus.ListVolumeServerBackups("default", "v1"));
        Assert.Equal("Running", scenario.Incus.InstanceState("c1"));
    }

    [IncusFact]
    public void TwoBackToBackBackups_AreBothListed_WithTheirFields()
    {
        Run("Backup-IncusInstance -Name c1 -Project $P -Target $T -InstanceOnly").AssertNoErrors();
        Run("Backup-IncusInstance -Name c1 -Project $P -Target $T -InstanceOnly").AssertNoErrors();

        var listed = Run("Get-IncusBackup -Target $T -Name c1 -Project $P");
        listed.AssertNoErrors();
        Assert.Equal(2, listed.Output.Count);
        Assert.NotEqual(Prop<string>(listed.Output[0], "Version"), Prop<string>(listed.Output[1], "Version"));
        foreach (var r in listed.Output)
        {
            Assert.True(Prop<bool>(r, "WithoutSnapshots"));
            Assert.True(Prop<bool>(r, "InstanceOnly")); // the old name, kept as an alias
            Assert.Empty(Prop<string[]>(r, "Snapshots"));
            Assert.Equal("6.0.4", Prop<string>(r, "ServerVersion")[..5]);
            Assert.Equal(new FileInfo(ArchiveContents.ArchivePath(r)).Length, Prop<long>(r, "Size"));
            Assert.DoesNotContain(ArchiveContents.EntryNames(ArchiveContents.ArchivePath(r)), n => n.StartsWith("backup/snapshots/", StringComparison.Ordinal));
        }
        var latest = Run("Get-IncusBackup -Target $T -Name c* -Latest");
        Assert.Equal(Prop<string>(listed.Output[1], "Version"), Prop<string>(Assert.Single(latest.Output), "Version"));
        Assert.Empty(Run("Get-IncusBackup -Target $T -Kind Volume").Output);
    }

    [IncusFact]
    public void UnknownName_IsANonTerminatingErrorNamingIt_AndTheRestStillRuns()
    {
        var result = Run("Backup-IncusInstance -Name nosuch, c1 -Project $P -Target $T -InstanceOnly");

        var error = Assert.Single(result.Errors);
        Assert.StartsWith("InstanceNotFound,", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Contains("nosuch", error.ToString(), StringComparison.Ordinal);
        Assert.Equal(ErrorCategory.ObjectNotFound, error.CategoryInfo.Category);
        Assert.Equal("c1", Prop<string>(Assert.Single(result.Output), "Name"));
    }

    [IncusFact]
    public void WhatIf_NamesEachBackup_AndWritesNothingAnywhere()
    {
        var target = Path.Combine(_repo.Path, "never");
        var result = _ps.Invoke("Backup-IncusInstance -Name c1 -Project $P -Target $T -WhatIf; Backup-IncusVolume -Name v1 -Project $P -Target $T -WhatIf",
            new Dictionary<string, object?> { ["P"] = scenario.Project, ["T"] = "dir:" + target });

        result.AssertNoErrors();
        Assert.Empty(result.Output);
        Assert.Equal(
            [
                $"Performing the operation \"Back up instance\" on target \"{scenario.Project}/c1 -> dir:{target}\".",
                $"Performing the operation \"Back up volume\" on target \"{scenario.Project}/default/v1 -> dir:{target}\".",
            ],
            result.WhatIfLines);
        Assert.False(Directory.Exists(target));
        Assert.Empty(scenario.Incus.ListServerBackups("c1"));
    }

    [IncusFact]
    public void Wildcards_And_All_SelectByPattern()
    {
        var none = Run("Backup-IncusInstance -Name zz* -Project $P -Target $T");
        Assert.Empty(none.Output);
        Assert.Empty(none.Errors);
        Assert.Contains(none.Warnings, w => w.Contains("zz*", StringComparison.Ordinal));

        var all = Run("Backup-IncusVolume -All -Project $P -Target $T -VolumeOnly");
        all.AssertNoErrors();
        Assert.Equal("v1", Prop<string>(Assert.Single(all.Output), "Name"));
    }

    [IncusFact]
    public void PipelineOfRecords_BacksUpTheSameInstancesAgain()
    {
        Run("Backup-IncusInstance -Name c1 -Project $P -Target $T -InstanceOnly").AssertNoErrors();
        var result = Run("Get-IncusBackup -Target $T -Kind Instance | Backup-IncusInstance -Target $T -InstanceOnly");
        result.AssertNoErrors();
        Assert.Equal("c1", Prop<string>(Assert.Single(result.Output), "Name"));
        Assert.Equal(2, Run("Get-IncusBackup -Target $T").Output.Count);
    }

    [IncusFact]
    public void Progress_HasAParentBarAndAChildPerItem()
    {
        var result = Run("Backup-IncusInstance -Name c1 -Project $P -Target $T -InstanceOnly -ThrottleLimit 3");
        result.AssertNoErrors();
        Assert.Contains(result.Progress, p => p.ActivityId == 1 && p.ParentActivityId == -1 && p.StatusDescription.Contains("1 of 1 done", StringComparison.Ordinal));
        Assert.Contains(result.Progress, p => p.ParentActivityId == 1 && p.Activity == $"{scenario.Project}/c1");
        Assert.Contains(result.Progress, p => p.ParentActivityId == 1 && p.RecordType == ProgressRecordType.Completed);
    }

    [IncusFact]
    public void NoSnapshot_DoesNotFreeze_AndSaysSo()
    {
        var result = Run("Backup-IncusInstance -Name c1 -Project $P -Target $T -InstanceOnly -NoSnapshot -Compression none -Verbose");
        result.AssertNoErrors();
        var record = Assert.Single(result.Output);
        Assert.Equal("None", Prop<string>(record, "Consistency"));
        Assert.Equal("none", Prop<string>(record, "Compression"));
        Assert.EndsWith("export.tar", ArchiveContents.ArchivePath(record), StringComparison.Ordinal);
        Assert.DoesNotContain(result.Verbose, v => v.StartsWith("Froze", StringComparison.Ordinal));
    }

    [IncusFact]
    public void BadTargets_AreTerminatingErrorsBeforeAnyExport()
    {
        var scheme = Run("Backup-IncusInstance -Name c1 -Project $P -Target 'rclone:/x' -ErrorAction Stop");
        Assert.StartsWith("TargetSchemeUnsupported,", scheme.TerminatingError?.FullyQualifiedErrorId ?? scheme.Errors.Single().FullyQualifiedErrorId, StringComparison.Ordinal);

        var notWritable = Run("Backup-IncusInstance -Name c1 -Project $P -Target '/etc/hostname/repo' -ErrorAction Stop");
        Assert.StartsWith("TargetNotWritable,", notWritable.Errors.Single().FullyQualifiedErrorId, StringComparison.Ordinal);

        var escape = Run("Backup-IncusInstance -Name c1 -Project '..' -Target $T -ErrorAction Stop");
        Assert.StartsWith("InvalidName,", escape.Errors.Single().FullyQualifiedErrorId, StringComparison.Ordinal);

        Assert.Empty(scenario.Incus.ListServerBackups("c1"));
        Assert.False(Directory.Exists(Path.Combine(_repo.Path, "instances")));
    }

    internal static void AssertSha256sumAccepts(string folder)
    {
        var check = Process.Start(new ProcessStartInfo("sha256sum", "-c checksums.txt") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = check.StandardOutput.ReadToEnd() + check.StandardError.ReadToEnd();
        check.WaitForExit();
        Assert.True(check.ExitCode == 0, output);
        Assert.Contains("manifest.json: OK", output, StringComparison.Ordinal);
    }
}
