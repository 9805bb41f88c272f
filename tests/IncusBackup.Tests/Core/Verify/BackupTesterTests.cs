using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using IncusBackup.Archive;
using IncusBackup.Backup;
using IncusBackup.Config;
using IncusBackup.Errors;
using IncusBackup.Repository;
using IncusBackup.Tests.Core.Archive;
using IncusBackup.Tests.Core.Restore;
using IncusBackup.Verify;
using Xunit;

namespace IncusBackup.Tests.Core.Verify;

/// <summary>
/// Test-IncusBackup's engine on a temporary directory repository: a good backup of every kind and compression passes
/// every check; each way of damaging or forging a backup fails the check that should catch it, with its ErrorId,
/// while the checks that can still run do.
/// </summary>
public sealed class BackupTesterTests : IDisposable
{
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly RestoreFixture _f = new();

    public void Dispose() => _f.Dispose();

    private Task<TestResult> TestAsync(BackupRecord backup) => BackupTester.TestAsync(_f.Repository, backup, _f.Reporter, None);

    private static TestCheck Check(TestResult result, string name) => Assert.Single(result.Checks, c => c.Name == name);

    private static void AssertOutcomes(TestResult result, params (string Name, CheckOutcome Outcome)[] expected) =>
        Assert.Equal(expected, result.Checks.Select(c => (c.Name, c.Outcome)));

    private static string ManifestPath(BackupRecord backup) => Path.Combine(backup.Location, BackupSeal.ManifestFile);

    private static string ChecksumsPath(BackupRecord backup) => Path.Combine(backup.Location, BackupSeal.ChecksumsFile);

    /// <summary>Edits manifest.json and, if asked, writes a checksums.txt that vouches for the edit, as a forger would.</summary>
    private static void EditManifest(BackupRecord backup, Action<BackupManifest> edit, bool reseal)
    {
        var manifest = BackupSeal.ParseManifest(File.ReadAllBytes(ManifestPath(backup)), "test");
        edit(manifest);
        var seal = BackupSeal.Create(manifest);
        File.WriteAllBytes(ManifestPath(backup), seal.ManifestBytes);
        if (reseal) File.WriteAllBytes(ChecksumsPath(backup), seal.ChecksumsBytes);
    }

    /// <summary>A container export of another instance: index.yaml names <paramref name="name"/> with <paramref name="snapshots"/>.</summary>
    private static byte[] OtherInstanceArchive(string name, params string[] snapshots)
    {
        var yaml = $"name: {name}\nbackend: dir\npool: default\nsnapshots:\n{string.Concat(snapshots.Select(s => $"- {s}\n"))}optimized: false\noptimized_header: false\ntype: container\n";
        return TestArchives.Compress(TestArchives.PlainTar(("backup/index.yaml", yaml), ("backup/container/metadata.yaml", "architecture: x86_64\n")), CompressionKind.Gzip);
    }

    /// <summary>A unified image (one xz tarball) or a split one (an xz metadata tarball and a squashfs rootfs).</summary>
    private static (string Name, byte[] Content)[] ImageParts(bool split)
    {
        var metadata = TestArchives.Compress(TestArchives.PlainTar(("metadata.yaml", "architecture: x86_64\n")), CompressionKind.Xz);
        return split
            ? [("metadata", metadata), ("rootfs", [.. "hsqs"u8, .. RandomNumberGenerator.GetBytes(70_000)])]
            : [("image", TestArchives.Compress(TestArchives.PlainTar(("metadata.yaml", "architecture: x86_64\n"), ("rootfs/bin/sh", "#!\n")), CompressionKind.Xz))];
    }

    public static TheoryData<CompressionKind> Compressions =>
        [CompressionKind.None, CompressionKind.Gzip, CompressionKind.Zstd, CompressionKind.Xz, CompressionKind.Bzip2, CompressionKind.Lzma, CompressionKind.Lz4];

    [Theory]
    [MemberData(nameof(Compressions))]
    public async Task InstanceBackup_InEveryCompression_PassesEveryCheck(CompressionKind compression)
    {
        var tar = TestArchives.Container();
        var backup = await _f.PublishInstanceAsync(archive: TestArchives.Compress(tar, compression));
        var entries = 0;
        using (var reader = new System.Formats.Tar.TarReader(new MemoryStream(tar)))
            while (reader.GetNextEntry() is not null) entries++;

        var result = await TestAsync(backup);

        AssertOutcomes(result, (CheckNames.Checksums, CheckOutcome.Passed), (CheckNames.Manifest, CheckOutcome.Passed),
            (CheckNames.Archive, CheckOutcome.Passed), (CheckNames.Content, CheckOutcome.Passed));
        Assert.Equal(TestStatus.Passed, result.Status);
        Assert.Null(result.ErrorId);
        Assert.Empty(result.Errors);
        Assert.Contains($"{ArchiveCompression.Name(compression)}, {entries} tar entries", Check(result, CheckNames.Archive).Message, StringComparison.Ordinal);
        Assert.Contains("container 'a1' with snapshots s1", Check(result, CheckNames.Content).Message, StringComparison.Ordinal);
        Assert.Same(backup, result.Backup);
    }

    [Fact]
    public async Task VolumeBackup_PassesEveryCheck_AndReportsHashingProgress()
    {
        var backup = await _f.PublishVolumeAsync();

        var result = await TestAsync(backup);

        Assert.Equal(TestStatus.Passed, result.Status);
        Assert.Contains("custom 'v1' with snapshots vs1", Check(result, CheckNames.Content).Message, StringComparison.Ordinal);
        var last = _f.Reporter.ProgressReports.Last(p => p.Phase == "Verifying");
        Assert.Equal(backup.Size, last.Bytes);
        Assert.Equal(backup.Size, last.TotalBytes);
    }

    [Fact]
    public async Task OneFlippedByte_FailsChecksums_AndArchive()
    {
        var backup = await _f.PublishInstanceAsync();
        var path = RestoreFixture.ArchivePath(backup);
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0x01;
        File.WriteAllBytes(path, bytes);

        var result = await TestAsync(backup);

        Assert.Equal(TestStatus.Failed, result.Status);
        Assert.Equal(ErrorIds.ChecksumMismatch, result.ErrorId);
        var checksums = Check(result, CheckNames.Checksums);
        Assert.Equal(ErrorIds.ChecksumMismatch, checksums.ErrorId);
        Assert.Contains("'backup.tar.gz' does not match its checksum", checksums.Message, StringComparison.Ordinal);
        Assert.Equal(ErrorIds.ArchiveCorrupt, Check(result, CheckNames.Archive).ErrorId);
        Assert.Equal(CheckOutcome.Passed, Check(result, CheckNames.Manifest).Outcome);
    }

    [Fact]
    public async Task TruncatedArchive_FailsChecksums_AndArchive()
    {
        var backup = await _f.PublishInstanceAsync();
        var path = RestoreFixture.ArchivePath(backup);
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..(int)(new FileInfo(path).Length * 2 / 3)]);

        var result = await TestAsync(backup);

        Assert.Equal(ErrorIds.ChecksumMismatch, result.ErrorId);
        var archive = Check(result, CheckNames.Archive);
        Assert.Equal(CheckOutcome.Failed, archive.Outcome);
        Assert.Equal(ErrorIds.ArchiveCorrupt, archive.ErrorId);
        Assert.Contains("does not read to the end", archive.Message, StringComparison.Ordinal);
        // index.yaml came first and still agrees with the manifest.
        Assert.Equal(CheckOutcome.Passed, Check(result, CheckNames.Content).Outcome);
    }

    [Fact]
    public async Task DeletedArchive_IsMissing_ForChecksumsAndArchive_AndContentIsSkipped()
    {
        var backup = await _f.PublishInstanceAsync();
        File.Delete(RestoreFixture.ArchivePath(backup));

        var result = await TestAsync(backup);

        AssertOutcomes(result, (CheckNames.Checksums, CheckOutcome.Failed), (CheckNames.Manifest, CheckOutcome.Passed),
            (CheckNames.Archive, CheckOutcome.Failed), (CheckNames.Content, CheckOutcome.Skipped));
        Assert.Equal(ErrorIds.BackupFileMissing, result.ErrorId);
        Assert.Equal(ErrorIds.BackupFileMissing, Check(result, CheckNames.Archive).ErrorId);
        Assert.Contains("'backup.tar.gz' is missing", Check(result, CheckNames.Archive).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeletedManifest_FailsManifestAndChecksums_ButTheArchiveIsStillWalked()
    {
        var backup = await _f.PublishInstanceAsync();
        File.Delete(ManifestPath(backup));

        var result = await TestAsync(backup);

        AssertOutcomes(result, (CheckNames.Checksums, CheckOutcome.Failed), (CheckNames.Manifest, CheckOutcome.Failed),
            (CheckNames.Archive, CheckOutcome.Passed), (CheckNames.Content, CheckOutcome.Skipped));
        Assert.Equal(ErrorIds.ManifestInvalid, Check(result, CheckNames.Manifest).ErrorId);
        Assert.Contains("'manifest.json' is missing", Check(result, CheckNames.Checksums).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ManifestThatIsNotJson_FailsManifest_WithManifestInvalid()
    {
        var backup = await _f.PublishInstanceAsync();
        File.WriteAllText(ManifestPath(backup), "{ not json");

        var result = await TestAsync(backup);

        Assert.Equal(ErrorIds.ManifestInvalid, Check(result, CheckNames.Manifest).ErrorId);
        Assert.Equal(ErrorIds.ChecksumMismatch, Check(result, CheckNames.Checksums).ErrorId);
        Assert.Equal(CheckOutcome.Passed, Check(result, CheckNames.Archive).Outcome);
    }

    [Fact]
    public async Task EditedManifest_FailsChecksums_Manifest_AndContent()
    {
        var backup = await _f.PublishInstanceAsync();
        EditManifest(backup, m => m.Name = "b9", reseal: false);

        var result = await TestAsync(backup);

        Assert.Equal(ErrorIds.ChecksumMismatch, result.ErrorId);
        Assert.Contains("manifest.json", Check(result, CheckNames.Checksums).Message, StringComparison.Ordinal);
        Assert.Contains("its name is 'b9', but the backup is listed as 'a1'", Check(result, CheckNames.Manifest).Message, StringComparison.Ordinal);
        Assert.Contains("the archive holds 'a1', the manifest names 'b9'", Check(result, CheckNames.Content).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResealedManifestOfAnotherName_ListedAfresh_SitsInTheWrongFolder()
    {
        var backup = await _f.PublishInstanceAsync();
        EditManifest(backup, m => m.Name = "b9", reseal: true);
        var relisted = Assert.Single((await _f.Repository.ListAsync(BackupKind.Instance, None)).Records);

        var result = await TestAsync(relisted);

        AssertOutcomes(result, (CheckNames.Checksums, CheckOutcome.Passed), (CheckNames.Manifest, CheckOutcome.Failed),
            (CheckNames.Archive, CheckOutcome.Passed), (CheckNames.Content, CheckOutcome.Failed));
        Assert.Equal(ErrorIds.ManifestInvalid, result.ErrorId);
        Assert.Contains("it belongs in '", Check(result, CheckNames.Manifest).Message, StringComparison.Ordinal);
        Assert.Contains("/instances/p/b9/", Check(result, CheckNames.Manifest).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownSchemaVersion_FailsManifest()
    {
        var backup = await _f.PublishInstanceAsync();
        EditManifest(backup, m => m.SchemaVersion = 7, reseal: true);

        var result = await TestAsync(backup);

        Assert.Equal(ErrorIds.ManifestInvalid, result.ErrorId);
        Assert.Contains("schema version 7", Check(result, CheckNames.Manifest).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EditedChecksumLine_FailsOnlyChecksums()
    {
        var backup = await _f.PublishInstanceAsync();
        var lines = File.ReadAllLines(ChecksumsPath(backup));
        var i = Array.FindIndex(lines, l => l.EndsWith("  backup.tar.gz", StringComparison.Ordinal));
        lines[i] = (lines[i][0] == '0' ? "1" : "0") + lines[i][1..];
        File.WriteAllText(ChecksumsPath(backup), string.Join('\n', lines) + "\n");

        var result = await TestAsync(backup);

        AssertOutcomes(result, (CheckNames.Checksums, CheckOutcome.Failed), (CheckNames.Manifest, CheckOutcome.Passed),
            (CheckNames.Archive, CheckOutcome.Passed), (CheckNames.Content, CheckOutcome.Passed));
        Assert.Equal(ErrorIds.ChecksumMismatch, result.ErrorId);
        Assert.Contains("disagree about 'backup.tar.gz'", Check(result, CheckNames.Checksums).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeletedChecksums_FailsOnlyChecksums()
    {
        var backup = await _f.PublishInstanceAsync();
        File.Delete(ChecksumsPath(backup));

        var result = await TestAsync(backup);

        AssertOutcomes(result, (CheckNames.Checksums, CheckOutcome.Failed), (CheckNames.Manifest, CheckOutcome.Passed),
            (CheckNames.Archive, CheckOutcome.Passed), (CheckNames.Content, CheckOutcome.Passed));
        Assert.Equal(ErrorIds.BackupFileMissing, result.ErrorId);
        Assert.Contains("nothing vouches for the files", Check(result, CheckNames.Checksums).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ArchiveOfAnotherInstance_WithManifestAndChecksumsFixedUp_FailsOnlyContent_WithArchiveMismatch()
    {
        var backup = await _f.PublishInstanceAsync();
        RestoreFixture.ReplaceArchiveAndReseal(backup, OtherInstanceArchive("b2", "s1", "daily-1"));

        var result = await TestAsync(backup);

        AssertOutcomes(result, (CheckNames.Checksums, CheckOutcome.Passed), (CheckNames.Manifest, CheckOutcome.Passed),
            (CheckNames.Archive, CheckOutcome.Passed), (CheckNames.Content, CheckOutcome.Failed));
        Assert.Equal(ErrorIds.ArchiveMismatch, result.ErrorId);
        var content = Check(result, CheckNames.Content).Message;
        Assert.Contains("the archive holds 'b2', the manifest names 'a1'", content, StringComparison.Ordinal);
        Assert.Contains("the archive has snapshot 'daily-1' the manifest does not list", content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VolumeArchiveSwappedIntoAnInstanceBackup_FailsContent()
    {
        var backup = await _f.PublishInstanceAsync();
        RestoreFixture.ReplaceArchiveAndReseal(backup, RestoreFixture.VolumeArchive);

        var result = await TestAsync(backup);

        Assert.Equal(ErrorIds.ArchiveMismatch, result.ErrorId);
        Assert.Contains("the archive holds a custom, the manifest an instance", Check(result, CheckNames.Content).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SnapshotRecordedButNotInTheArchive_FailsContent()
    {
        var backup = await _f.PublishInstanceAsync();
        EditManifest(backup, m => m.Snapshots = ["s1", "s2"], reseal: true);

        var result = await TestAsync(backup);

        Assert.Equal(ErrorIds.ArchiveMismatch, Check(result, CheckNames.Content).ErrorId);
        Assert.Contains("the manifest lists snapshot 's2' the archive lacks", Check(result, CheckNames.Content).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VirtualMachineRecorded_ContainerInTheArchive_FailsContent()
    {
        var backup = await _f.PublishInstanceAsync();
        EditManifest(backup, m => m.InstanceType = "virtual-machine", reseal: true);

        var result = await TestAsync(backup);

        Assert.Contains("the archive holds a container, the manifest a virtual-machine", Check(result, CheckNames.Content).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TarWithoutAnIndex_PassesArchive_ButIsNotAnIncusBackup()
    {
        var backup = await _f.PublishInstanceAsync();
        RestoreFixture.ReplaceArchiveAndReseal(backup, TestArchives.PlainTar(("backup/container/backup.yaml", "name: a1\n")));

        var result = await TestAsync(backup);

        Assert.Equal(CheckOutcome.Passed, Check(result, CheckNames.Archive).Outcome);
        Assert.Equal(ErrorIds.ArchiveInvalid, Check(result, CheckNames.Content).ErrorId);
        Assert.Contains("the first tar entry is 'backup/container/backup.yaml'", Check(result, CheckNames.Content).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RandomBytes_WithAMatchingSeal_FailArchive()
    {
        var backup = await _f.PublishInstanceAsync();
        RestoreFixture.ReplaceArchiveAndReseal(backup, RandomNumberGenerator.GetBytes(100_000));

        var result = await TestAsync(backup);

        Assert.Equal(CheckOutcome.Passed, Check(result, CheckNames.Checksums).Outcome);
        Assert.Equal(ErrorIds.ArchiveCorrupt, Check(result, CheckNames.Archive).ErrorId);
        Assert.Equal(ErrorIds.ArchiveCorrupt, result.ErrorId);
    }

    [Fact]
    public async Task CorruptZstdStream_WithAMatchingSeal_FailsArchive()
    {
        var zstd = TestArchives.Compress(TestArchives.Container(), CompressionKind.Zstd);
        var backup = await _f.PublishInstanceAsync(archive: zstd);
        var damaged = (byte[])zstd.Clone();
        damaged[damaged.Length - 3] ^= 0xff; // inside the content checksum
        RestoreFixture.ReplaceArchiveAndReseal(backup, damaged);

        var result = await TestAsync(backup);

        Assert.Equal(ErrorIds.ArchiveCorrupt, Check(result, CheckNames.Archive).ErrorId);
        Assert.Contains("zstd", Check(result, CheckNames.Archive).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ImageBackup_PassesEveryCheck_ItsFilesHashToTheFingerprint(bool split)
    {
        var image = _f.Incus.AddImage("p", ImageParts(split), ["web"], []);
        var backup = await new ImageBackupEngine(_f.Incus, _f.Repository, "t").BackupAsync(new ImageBackupSource("p", image), _f.Reporter, None);

        var result = await TestAsync(backup);

        Assert.Equal(TestStatus.Passed, result.Status);
        Assert.Contains($"hash to the fingerprint {image.Fingerprint}", Check(result, CheckNames.Content).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ImageFileOfAnotherImage_WithChecksumsFixedUp_FailsContent()
    {
        var image = _f.Incus.AddImage("p", ImageParts(split: false), ["web"], []);
        var backup = await new ImageBackupEngine(_f.Incus, _f.Repository, "t").BackupAsync(new ImageBackupSource("p", image), _f.Reporter, None);
        var other = File.ReadAllBytes(RestoreFixture.ArchivePath(backup)).Concat(Encoding.ASCII.GetBytes("tail")).ToArray();
        RestoreFixture.ReplaceArchiveAndReseal(backup, other);

        var result = await TestAsync(backup);

        Assert.Equal(CheckOutcome.Passed, Check(result, CheckNames.Checksums).Outcome);
        Assert.Equal(ErrorIds.ArchiveMismatch, Check(result, CheckNames.Content).ErrorId);
    }

    [Fact]
    public async Task ConfigBackup_PassesChecksumsManifestAndContent_ArchiveIsSkipped()
    {
        _f.Incus.ProjectObjects = [JsonNode.Parse("""{"name":"p","description":"","config":{},"used_by":[]}""")!.AsObject()];
        var backup = await new ConfigBackupEngine(_f.Incus, _f.Repository, "t").BackupAsync("p", _f.Reporter, None);

        var result = await TestAsync(backup);

        AssertOutcomes(result, (CheckNames.Checksums, CheckOutcome.Passed), (CheckNames.Manifest, CheckOutcome.Passed),
            (CheckNames.Archive, CheckOutcome.Skipped), (CheckNames.Content, CheckOutcome.Passed));
        Assert.Equal(TestStatus.Passed, result.Status);
        Assert.Contains("1 project", Check(result, CheckNames.Content).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConfigFileThatDoesNotParse_WithChecksumsFixedUp_FailsContent()
    {
        _f.Incus.ProjectObjects = [JsonNode.Parse("""{"name":"p","description":"","config":{},"used_by":[]}""")!.AsObject()];
        var backup = await new ConfigBackupEngine(_f.Incus, _f.Repository, "t").BackupAsync("p", _f.Reporter, None);
        var broken = "[{\"name\": "u8.ToArray();
        File.WriteAllBytes(Path.Combine(backup.Location, "profiles.json"), broken);
        EditManifest(backup, m => m.Files.Single(f => f.Name == "profiles.json").Sha256 = RestoreFixture.Sha256(broken), reseal: true);

        var result = await TestAsync(backup);

        Assert.Equal(CheckOutcome.Passed, Check(result, CheckNames.Checksums).Outcome);
        Assert.Equal(ErrorIds.ManifestInvalid, Check(result, CheckNames.Content).ErrorId);
        Assert.Contains("profiles.json", Check(result, CheckNames.Content).Message, StringComparison.Ordinal);
    }
}
