using IncusBackup.Backup;
using IncusBackup.Errors;
using IncusBackup.Incus;
using IncusBackup.Restore;
using IncusBackup.Tests.Core.Backup;
using Xunit;

namespace IncusBackup.Tests.Core.Restore;

/// <summary>
/// Planning and running the restore of an image against the in-memory server, from a backup the image engine
/// made: the steps a missing image, an image that is there as it was, and one whose settings or aliases differ
/// call for; what reaches the server; the alias that points at another image (ask, -Replace, -SkipExisting); and
/// that a failure after the import leaves nothing of the restore behind.
/// </summary>
public sealed class ImageRestoreTests : IDisposable
{
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly RestoreFixture _f = new();

    public void Dispose() => _f.Dispose();

    private sealed record Backed(IncusImage Image, BackupRecord Backup, List<(string Name, byte[] Content)> Parts)
    {
        public string Fingerprint => Image.Fingerprint;
        public string Short => Image.Fingerprint[..12];
    }

    /// <summary>
    /// Image p/web-base (aliases web-base with a description and web-old; property os=busybox) backed up into the
    /// repository; the server's call log is cleared afterwards.
    /// </summary>
    private async Task<Backed> BackedUpAsync(bool split = true)
    {
        var parts = split ? ImageBackupEngineTests.SplitParts() : ImageBackupEngineTests.UnifiedParts();
        var image = _f.Incus.AddImage("p", parts, ["web-base", "web-old"], new() { ["os"] = "busybox", ["release"] = "1.36" });
        image.Aliases[0].Description = "base of the web servers";
        var backup = await new ImageBackupEngine(_f.Incus, _f.Repository, "t").BackupAsync(new ImageBackupSource("p", image), _f.Reporter, None);
        _f.Incus.Calls.Clear();
        return new Backed(image, backup, [.. parts]);
    }

    /// <summary>Another image in p, with no aliases.</summary>
    private IncusImage OtherImage() => _f.Incus.AddImage("p", ImageBackupEngineTests.UnifiedParts());

    private void Delete(IncusImage image) => _f.Incus.ImageList.Remove(image);

    /// <summary>Moves alias <paramref name="alias"/> from whatever image has it to <paramref name="to"/>.</summary>
    private void MoveAlias(string alias, IncusImage to)
    {
        foreach (var image in _f.Incus.ImageList) image.Aliases.RemoveAll(a => a.Name == alias);
        to.Aliases.Add(new ImageAlias { Name = alias, Description = "now elsewhere" });
    }

    private Task<RestorePlan> PlanAsync(BackupRecord backup, Func<RestoreRequest, RestoreRequest>? change = null)
    {
        var request = RestoreFixture.Request(backup);
        return new ImageRestorePlanner(_f.Server).PlanAsync(_f.Repository, change is null ? request : change(request), None);
    }

    private static (string, string)[] Steps(RestorePlan plan) => [.. plan.Steps.Select(s => (s.Action, s.Target))];

    /// <summary>Alias name to the fingerprint it points at, in <paramref name="project"/>, as the server lists them.</summary>
    private async Task<Dictionary<string, string>> AliasesAsync(string project = "p") =>
        (await _f.Incus.Images.ListAliasesAsync(project, None)).ToDictionary(a => a.Name, a => a.Target);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task MissingImage_PlansImport_Settings_AndOneAliasStepPerAlias(bool split)
    {
        var b = await BackedUpAsync(split);
        Delete(b.Image);

        var plan = await PlanAsync(b.Backup);

        Assert.Equal(
            [
                ("Import image", $"p/{b.Short} from {b.Backup.Version}"),
                ("Restore image settings", $"p/{b.Short}"),
                ("Create image alias", $"p/web-base -> p/{b.Short}"),
                ("Create image alias", $"p/web-old -> p/{b.Short}"),
            ],
            Steps(plan));
        Assert.False(plan.Skip);
        Assert.False(plan.TargetExists);
        Assert.Null(plan.Conflict);
        Assert.Equal((BackupKind.Image, "p", null, b.Fingerprint), (plan.Kind, plan.TargetProject, plan.TargetPool, plan.TargetName));
        Assert.Empty(_f.Incus.Calls);
    }

    [Theory]
    [InlineData(true, "metadata+rootfs")]
    [InlineData(false, "image")]
    public async Task MissingImage_IsImportedWithTheSameFingerprint_SettingsAndAliases(bool split, string uploaded)
    {
        var b = await BackedUpAsync(split);
        Delete(b.Image);
        var plan = await PlanAsync(b.Backup);

        var result = await _f.ExecuteAsync(plan);

        Assert.Equal(
            [
                $"import image p {uploaded}", "wait /1.0/operations/op-1", $"update image p/{b.Short}",
                $"create alias p/web-base {b.Short}", $"create alias p/web-old {b.Short}",
            ],
            _f.Incus.Calls);
        var restored = _f.Incus.FindImage("p", b.Fingerprint);
        Assert.NotNull(restored);
        Assert.Equal(b.Parts.Select(p => p.Content), _f.Incus.ImageFiles[b.Fingerprint].Select(p => p.Content));
        Assert.Equal(["os=busybox", "release=1.36"], restored.Properties.Select(p => $"{p.Key}={p.Value}").Order(StringComparer.Ordinal));
        Assert.Equal(["default"], restored.Profiles);
        Assert.Equal([("web-base", "base of the web servers"), ("web-old", "")], restored.Aliases.Select(a => (a.Name, a.Description)));
        Assert.Equal(RestoreAction.Restored, result.Action);
        Assert.Equal((BackupKind.Image, "p", b.Fingerprint, b.Backup.Version, "p", b.Fingerprint),
            (result.Kind, result.Project, result.Name, result.Version, result.TargetProject, result.TargetName));
        Assert.Null(result.TargetPool);
    }

    [Fact]
    public async Task ImageThereWithTheSameSettingsAndAliases_PlansOneSkipStep_AndIsSkipped()
    {
        var b = await BackedUpAsync();

        var plan = await PlanAsync(b.Backup);
        var result = await _f.ExecuteAsync(plan);

        Assert.Equal([("Skip existing image", $"p/{b.Short} (already there with its aliases and settings)")], Steps(plan));
        Assert.True(plan.Skip);
        Assert.Null(plan.Conflict);
        Assert.Equal(RestoreAction.Skipped, result.Action);
        Assert.Empty(_f.Incus.Calls);
    }

    public static TheoryData<string> SettingChanges => ["property changed", "property added", "property removed", "public", "auto_update", "profiles"];

    [Theory]
    [MemberData(nameof(SettingChanges))]
    public async Task ImageThereWithOtherSettings_PlansOnlyTheSettingsStep_AndIsUpdated(string change)
    {
        var b = await BackedUpAsync();
        var image = b.Image;
        image.Properties = new(image.Properties);
        switch (change)
        {
            case "property changed": image.Properties["release"] = "1.37"; break;
            case "property added": image.Properties["extra"] = "x"; break;
            case "property removed": image.Properties.Remove("os"); break;
            case "public": image.Public = true; break;
            case "auto_update": image.AutoUpdate = true; break;
            case "profiles": image.Profiles = ["default", "web"]; break;
        }

        var plan = await PlanAsync(b.Backup);
        var result = await _f.ExecuteAsync(plan);

        Assert.Equal([("Restore image settings", $"p/{b.Short}")], Steps(plan));
        Assert.Equal(RestoreAction.Updated, result.Action);
        Assert.Equal([$"update image p/{b.Short}"], _f.Incus.Calls);
        Assert.Equal(["os=busybox", "release=1.36"], image.Properties.Select(p => $"{p.Key}={p.Value}").Order(StringComparer.Ordinal));
        Assert.Equal((false, false), (image.Public, image.AutoUpdate));
        Assert.Equal(["default"], image.Profiles);
    }

    [Fact]
    public async Task ImageThereWithoutOneAlias_PlansOnlyThatAlias_AndIsUpdated()
    {
        var b = await BackedUpAsync();
        b.Image.Aliases.RemoveAll(a => a.Name == "web-old");

        var plan = await PlanAsync(b.Backup);
        var result = await _f.ExecuteAsync(plan);

        Assert.Equal([("Create image alias", $"p/web-old -> p/{b.Short}")], Steps(plan));
        Assert.Equal(RestoreAction.Updated, result.Action);
        Assert.Equal(b.Fingerprint, (await AliasesAsync())["web-old"]);
    }

    [Fact]
    public async Task AliasPointingAtAnotherImage_IsTheConflict_NamedInThePlan()
    {
        var b = await BackedUpAsync();
        var other = OtherImage();
        MoveAlias("web-base", other);

        var plan = await PlanAsync(b.Backup);

        Assert.Equal($"In project 'p', alias 'web-base' points at image {other.Fingerprint[..12]}", plan.Conflict);
        Assert.Equal("Point image aliases", plan.ConflictAction);
        Assert.True(plan.TargetExists, "the cmdlet asks before running a plan whose target is in the way");
        Assert.Equal([("Point image alias", $"p/web-base -> p/{b.Short} (now {other.Fingerprint[..12]})")], Steps(plan));
    }

    [Fact]
    public async Task AliasPointingAtAnotherImage_WithReplace_IsRepointedWithItsDescription()
    {
        var b = await BackedUpAsync();
        var other = OtherImage();
        MoveAlias("web-base", other);

        var plan = await PlanAsync(b.Backup, r => r with { Conflict = ConflictMode.Replace });
        var result = await _f.ExecuteAsync(plan);

        Assert.Equal([("Point image alias", $"p/web-base -> p/{b.Short} (now {other.Fingerprint[..12]})")], Steps(plan));
        Assert.Equal(RestoreAction.Updated, result.Action);
        Assert.Equal(new Dictionary<string, string> { ["web-base"] = b.Fingerprint, ["web-old"] = b.Fingerprint }, await AliasesAsync());
        Assert.Equal("base of the web servers", b.Image.Aliases.Single(a => a.Name == "web-base").Description);
        Assert.Empty(other.Aliases);
        Assert.NotNull(_f.Incus.FindImage("p", other.Fingerprint));
        Assert.Contains($"Restored {b.Backup} as p/{b.Fingerprint}.", _f.Reporter.VerboseLines);
    }

    [Fact]
    public async Task AliasPointingAtAnotherImage_WithSkipExisting_HasNoPointStep_AndIsLeft()
    {
        var b = await BackedUpAsync();
        var other = OtherImage();
        MoveAlias("web-base", other);

        var plan = await PlanAsync(b.Backup, r => r with { Conflict = ConflictMode.SkipExisting });
        var result = await _f.ExecuteAsync(plan);

        Assert.DoesNotContain(plan.Steps, s => s.Action == "Point image alias");
        Assert.False(plan.TargetExists, "nothing is left to ask about");
        Assert.Equal(RestoreAction.Skipped, result.Action);
        Assert.Empty(_f.Incus.Calls);
        Assert.Equal(other.Fingerprint, (await AliasesAsync())["web-base"]);
    }

    [Fact]
    public async Task MissingImage_WithAnAliasElsewhere_SkipExisting_ImportsAndLeavesThatAlias()
    {
        var b = await BackedUpAsync();
        Delete(b.Image);
        var other = OtherImage();
        MoveAlias("web-base", other);

        var plan = await PlanAsync(b.Backup, r => r with { Conflict = ConflictMode.SkipExisting });
        var result = await _f.ExecuteAsync(plan);

        Assert.Equal(
            [
                ("Import image", $"p/{b.Short} from {b.Backup.Version}"),
                ("Restore image settings", $"p/{b.Short}"),
                ("Create image alias", $"p/web-old -> p/{b.Short}"),
            ],
            Steps(plan));
        Assert.Equal(RestoreAction.Restored, result.Action);
        Assert.Equal(new Dictionary<string, string> { ["web-base"] = other.Fingerprint, ["web-old"] = b.Fingerprint }, await AliasesAsync());
    }

    [Fact]
    public async Task FailureAtAnAliasAfterTheImport_RollsBack_TheImportedImageIsDeleted_RestoreFailedNamesTheStep()
    {
        var b = await BackedUpAsync();
        Delete(b.Image);
        _f.Incus.FailOn = call => call.StartsWith("create alias p/web-old", StringComparison.Ordinal) ? new IncusApiException(409, "Alias already exists") : null;
        var plan = await PlanAsync(b.Backup);

        var e = await Assert.ThrowsAsync<IncusBackupException>(() => _f.ExecuteAsync(plan));

        Assert.Equal(ErrorIds.RestoreFailed, e.ErrorId);
        Assert.StartsWith($"Restoring {plan.Describe} failed at step 'alias' (Alias already exists); ", e.Message);
        Assert.Equal(
            [
                "import image p metadata+rootfs", "wait /1.0/operations/op-1", $"update image p/{b.Short}", $"create alias p/web-base {b.Short}",
                "delete alias p/web-base", $"delete image p/{b.Short}",
            ],
            _f.Incus.Calls);
        Assert.Null(_f.Incus.FindImage("p", b.Fingerprint));
        Assert.Empty(await AliasesAsync());
    }

    [Fact]
    public async Task FailureAfterRepointingAnAlias_WithReplace_PutsTheAliasBack_AndIsRestoreFailed()
    {
        // Restore-IncusImage's help: "If a step fails, the steps already done are undone (an imported image is
        // deleted again, aliases are put back) and the error is RestoreFailed."
        var b = await BackedUpAsync();
        Delete(b.Image);
        var other = OtherImage();
        MoveAlias("web-base", other);
        _f.Incus.FailOn = call => call.StartsWith("create alias p/web-old", StringComparison.Ordinal) ? new IncusApiException(500, "injected") : null;
        var plan = await PlanAsync(b.Backup, r => r with { Conflict = ConflictMode.Replace });

        var e = await Assert.ThrowsAsync<IncusBackupException>(() => _f.ExecuteAsync(plan));

        Assert.Equal(ErrorIds.RestoreFailed, e.ErrorId);
        Assert.StartsWith($"Restoring {plan.Describe} failed at step 'alias' (injected); ", e.Message);
        Assert.Null(_f.Incus.FindImage("p", b.Fingerprint));
        Assert.Equal(new Dictionary<string, string> { ["web-base"] = other.Fingerprint }, await AliasesAsync());
        Assert.Equal("now elsewhere", other.Aliases.Single().Description);
    }

    [Fact]
    public async Task UploadTheServerFingerprintsDifferently_IsDeletedAgain_AndTheRestoreFails()
    {
        var b = await BackedUpAsync();
        Delete(b.Image);
        // A metadata file changed and resealed, as a forger would: the checksums pass, the fingerprint cannot.
        var forged = ImageBackupEngineTests.Bytes([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], 3_000);
        RestoreFixture.ReplaceArchiveAndReseal(b.Backup, forged);
        var computed = RestoreFixture.Sha256([.. forged, .. b.Parts[1].Content]);
        var plan = await PlanAsync(b.Backup);

        var e = await Assert.ThrowsAsync<IncusBackupException>(() => _f.ExecuteAsync(plan));

        Assert.Equal(ErrorIds.RestoreFailed, e.ErrorId);
        var inner = Assert.IsType<IncusBackupException>(e.InnerException);
        Assert.Equal(ErrorIds.ImageFingerprintMismatch, inner.ErrorId);
        Assert.Equal($"The server computed fingerprint {computed} for the upload of {b.Backup}, not {b.Fingerprint}; the import was deleted.", inner.Message);
        Assert.Equal(["import image p metadata+rootfs", "wait /1.0/operations/op-1", $"delete image p/{computed[..12]}"], _f.Incus.Calls);
        Assert.Null(_f.Incus.FindImage("p", computed));
        Assert.Null(_f.Incus.FindImage("p", b.Fingerprint));
    }

    [Fact]
    public async Task ChangedFile_IsChecksumMismatch_BeforeTheServerSeesAnything()
    {
        var b = await BackedUpAsync();
        Delete(b.Image);
        RestoreFixture.CorruptArchive(b.Backup, offset: 100);
        var plan = await PlanAsync(b.Backup);

        var e = await Assert.ThrowsAsync<IncusBackupException>(() => _f.ExecuteAsync(plan));

        Assert.Equal(ErrorIds.ChecksumMismatch, e.ErrorId);
        Assert.StartsWith($"'metadata.tar.xz' of {b.Backup} does not match its checksum", e.Message);
        Assert.Empty(_f.Incus.Calls);
    }

    [Fact]
    public async Task ProjectThatDoesNotExist_IsDependencyMissing_AndNothingChanges()
    {
        var b = await BackedUpAsync();
        Delete(b.Image);

        var e = await Assert.ThrowsAsync<IncusBackupException>(() =>
            PlanAsync(b.Backup, r => r with { ProjectMap = new Dictionary<string, string> { ["p"] = "nowhere" } }));

        Assert.Equal(ErrorIds.DependencyMissing, e.ErrorId);
        Assert.Equal($"Restoring {b.Backup} needs project 'nowhere', which the server lacks. Nothing was changed.", e.Message);
        Assert.Empty(_f.Incus.Calls);
    }

    [Fact]
    public async Task ProjectMap_RestoresIntoTheMappedProject()
    {
        var b = await BackedUpAsync();
        _f.Incus.ProjectNames.Add("q");

        var plan = await PlanAsync(b.Backup, r => r with { ProjectMap = new Dictionary<string, string> { ["p"] = "q" } });
        var result = await _f.ExecuteAsync(plan);

        Assert.Equal(("q", RestoreAction.Restored), (result.TargetProject, result.Action));
        Assert.Equal(new Dictionary<string, string> { ["web-base"] = b.Fingerprint, ["web-old"] = b.Fingerprint }, await AliasesAsync("q"));
        Assert.NotNull(_f.Incus.FindImage("p", b.Fingerprint));
    }

    [Fact]
    public async Task VolumeBackupPlannedAsAnImage_IsBackupKindMismatch()
    {
        var volume = await _f.PublishVolumeAsync();

        var e = await Assert.ThrowsAsync<IncusBackupException>(() => PlanAsync(volume));

        Assert.Equal(ErrorIds.BackupKindMismatch, e.ErrorId);
        Assert.Equal($"{volume} is a volume backup, not an image backup.", e.Message);
        Assert.Equal("Use Restore-IncusVolume for it.", e.RecommendedAction);
        Assert.Empty(_f.Incus.Calls);
    }
}
