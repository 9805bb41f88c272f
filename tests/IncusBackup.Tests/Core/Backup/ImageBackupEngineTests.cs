using System.Security.Cryptography;
using IncusBackup.Backup;
using IncusBackup.Errors;
using IncusBackup.Incus;
using IncusBackup.Repository;
using IncusBackup.Repository.Directory;
using IncusBackup.Tests.Fakes;
using Xunit;

namespace IncusBackup.Tests.Core.Backup;

/// <summary>
/// The image backup engine against the in-memory Incus server and a directory repository: which files a split and
/// a unified image become (named by what their bytes are), that their bytes are the export's, what the manifest and
/// the record say (aliases, properties, type, size), and that an export which does not hash to the fingerprint
/// leaves nothing behind.
/// </summary>
public sealed class ImageBackupEngineTests : IDisposable
{
    private static readonly CancellationToken None = CancellationToken.None;
    private static readonly byte[] XzMagic = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];
    private static readonly byte[] GzipMagic = [0x1f, 0x8b, 0x08, 0x00];

    private readonly string _root = Path.Combine(Path.GetTempPath(), "ib-image-" + Guid.NewGuid().ToString("N"));
    private readonly InMemoryIncus _incus = new();
    private readonly RecordingReporter _reporter = new();
    private readonly DirectoryRepository _repository;

    public ImageBackupEngineTests()
    {
        _repository = DirectoryRepository.OpenForWrite(_root, "t");
        _incus.ProjectNames.Add("p");
    }

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    /// <summary>Random bytes behind <paramref name="magic"/>.</summary>
    internal static byte[] Bytes(ReadOnlySpan<byte> magic, int length)
    {
        var bytes = RandomNumberGenerator.GetBytes(length);
        magic.CopyTo(bytes);
        return bytes;
    }

    /// <summary>A split container image: an xz metadata tarball and a squashfs rootfs.</summary>
    internal static (string Name, byte[] Content)[] SplitParts() =>
        [("metadata", Bytes(XzMagic, 3_000)), ("rootfs", Bytes("hsqs"u8, (5 << 20) / 2 + 13))];

    /// <summary>A unified image: one gzip tarball.</summary>
    internal static (string Name, byte[] Content)[] UnifiedParts() => [("image", Bytes(GzipMagic, 200_001))];

    private IncusImage AddImage((string Name, byte[] Content)[] parts, string type = "container")
    {
        var image = _incus.AddImage("p", parts, ["web-base"], new() { ["os"] = "busybox", ["release"] = "1.36" }, type: type);
        image.Aliases[0].Description = "the web servers' base";
        image.Aliases.Add(new ImageAlias { Name = "web-base-old", Description = "" });
        return image;
    }

    private Task<BackupRecord> BackupAsync(IncusImage image, CancellationToken? ct = null) =>
        new ImageBackupEngine(_incus, _repository, "t").BackupAsync(new ImageBackupSource("p", image), _reporter, ct ?? None);

    private async Task<BackupManifest> ManifestAsync(BackupRecord record) => (await BackupVerifier.ReadSealAsync(_repository, record, None)).Manifest;

    private async Task<IReadOnlyList<BackupRecord>> ListedAsync() => (await _repository.ListAsync(null, None)).Records;

    private string[] LeftInIncomplete() => Directory.GetFileSystemEntries(Path.Combine(_root, DirectoryRepository.IncompleteFolder));

    private static string Sha256(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));

    private static string[] FilesIn(string folder) => [.. Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];

    [Fact]
    public async Task SplitImage_BecomesMetadataTarXzAndRootfsSquashfs_ByteForByte_InImagesFingerprintVersion()
    {
        var parts = SplitParts();
        var image = AddImage(parts);

        var record = await BackupAsync(image);

        Assert.Equal(Path.Combine(_root, "images", image.Fingerprint, record.Version), record.Location);
        Assert.Equal(["checksums.txt", "manifest.json", "metadata.tar.xz", "rootfs.squashfs"], FilesIn(record.Location));
        Assert.Equal(parts[0].Content, await File.ReadAllBytesAsync(Path.Combine(record.Location, "metadata.tar.xz")));
        Assert.Equal(parts[1].Content, await File.ReadAllBytesAsync(Path.Combine(record.Location, "rootfs.squashfs")));
        Assert.Equal([$"export image p/{image.Fingerprint[..12]}"], _incus.Calls);
        Assert.Empty(LeftInIncomplete());
    }

    [Fact]
    public async Task SplitImage_RecordSaysImage_FingerprintAsName_SizeOfBothFiles_AndItsAliases()
    {
        var parts = SplitParts();
        var image = AddImage(parts);

        var record = await BackupAsync(image);

        Assert.Equal(BackupKind.Image, record.Kind);
        Assert.Equal(("p", null, image.Fingerprint), (record.Project, record.Pool, record.Name));
        Assert.Equal(parts[0].Content.Length + parts[1].Content.Length, record.Size);
        Assert.Equal(["web-base", "web-base-old"], record.Aliases);
        Assert.Equal("container", record.Type);
        Assert.Equal("metadata.tar.xz", record.ArchiveName);
        Assert.Equal(Sha256(parts[0].Content), record.Sha256);
        Assert.Equal("xz", record.Compression);
        Assert.Equal("None", record.Consistency);
        Assert.Empty(record.Snapshots);

        var listed = Assert.Single(await ListedAsync());
        Assert.Equal((BackupKind.Image, "p", image.Fingerprint, record.Version, record.Size), (listed.Kind, listed.Project, listed.Name, listed.Version, listed.Size));
        Assert.Equal(["web-base", "web-base-old"], listed.Aliases);
    }

    [Fact]
    public async Task SplitImage_ManifestHoldsTheFilesAndTheImageAsTheServerDescribedIt()
    {
        var parts = SplitParts();
        var image = AddImage(parts);
        image.Public = true;
        image.AutoUpdate = true;

        var record = await BackupAsync(image);

        var manifest = await ManifestAsync(record);
        Assert.Equal(("image", "p", null, image.Fingerprint, record.Version), (manifest.Kind, manifest.Project, manifest.Pool, manifest.Name, manifest.Version));
        Assert.Equal("container", manifest.InstanceType);
        Assert.Equal("t", manifest.ToolVersion);
        Assert.Equal(("6.0.4-memory", "memory", "memory://incus"), (manifest.Server.Version, manifest.Server.Name, manifest.Server.Endpoint));
        Assert.Equal(("None", "xz", "xz", "ImageSplit"),
            (manifest.Options.Consistency, manifest.Options.Compression, manifest.Options.DetectedCompression, manifest.Options.ExportMethod));
        Assert.Equal(
            [("metadata.tar.xz", (long)parts[0].Content.Length, Sha256(parts[0].Content)), ("rootfs.squashfs", parts[1].Content.Length, Sha256(parts[1].Content))],
            manifest.Files.Select(f => (f.Name, f.Size, f.Sha256)));

        // The source is kept as Incus spells it, so a restore (and an operator reading the manifest) finds it.
        var source = manifest.Source!.Value;
        Assert.Equal(image.Fingerprint, source.GetProperty("fingerprint").GetString());
        Assert.Equal("container", source.GetProperty("type").GetString());
        Assert.True(source.GetProperty("public").GetBoolean());
        Assert.True(source.GetProperty("auto_update").GetBoolean());
        Assert.Equal(["web-base:the web servers' base", "web-base-old:"],
            source.GetProperty("aliases").EnumerateArray().Select(a => $"{a.GetProperty("name").GetString()}:{a.GetProperty("description").GetString()}"));
        Assert.Equal(["os=busybox", "release=1.36"],
            source.GetProperty("properties").EnumerateObject().Select(p => $"{p.Name}={p.Value.GetString()}").Order(StringComparer.Ordinal));
        Assert.Equal(["default"], source.GetProperty("profiles").EnumerateArray().Select(p => p.GetString()));
    }

    [Fact]
    public async Task UnifiedGzipImage_BecomesImageTarGz_ByteForByte()
    {
        var parts = UnifiedParts();
        var image = AddImage(parts);

        var record = await BackupAsync(image);

        Assert.Equal(["checksums.txt", "image.tar.gz", "manifest.json"], FilesIn(record.Location));
        Assert.Equal(parts[0].Content, await File.ReadAllBytesAsync(Path.Combine(record.Location, "image.tar.gz")));
        Assert.Equal(("image.tar.gz", parts[0].Content.Length, image.Fingerprint), (record.ArchiveName, record.Size, record.Sha256));
        Assert.Equal(["web-base", "web-base-old"], record.Aliases);
        var manifest = await ManifestAsync(record);
        Assert.Equal(("gzip", "ImageUnified"), (manifest.Options.Compression, manifest.Options.ExportMethod));
        Assert.Equal([("image.tar.gz", (long)parts[0].Content.Length, image.Fingerprint)], manifest.Files.Select(f => (f.Name, f.Size, f.Sha256)));
    }

    [Fact]
    public async Task VirtualMachineImage_KeepsItsDiskAsRootfsImg()
    {
        (string, byte[])[] parts = [("metadata", Bytes(XzMagic, 1_000)), ("rootfs.img", Bytes("QFI"u8, 70_000))];
        var image = AddImage(parts, type: "virtual-machine");

        var record = await BackupAsync(image);

        Assert.Equal(["checksums.txt", "manifest.json", "metadata.tar.xz", "rootfs.img"], FilesIn(record.Location));
        Assert.Equal(parts[1].Item2, await File.ReadAllBytesAsync(Path.Combine(record.Location, "rootfs.img")));
        Assert.Equal("virtual-machine", record.Type);
    }

    [Fact]
    public async Task ExportThatHashesToAnotherFingerprint_IsImageFingerprintMismatch_AndKeepsNothing()
    {
        var parts = SplitParts();
        var image = AddImage(parts);
        // The rootfs arrives cut short.
        var shortRootfs = parts[1].Content[..(parts[1].Content.Length - 1000)];
        _incus.ImageFiles[image.Fingerprint] = [parts[0], ("rootfs", shortRootfs)];

        var e = await Assert.ThrowsAsync<IncusBackupException>(() => BackupAsync(image));

        Assert.Equal(ErrorIds.ImageFingerprintMismatch, e.ErrorId);
        Assert.Equal(ErrorKind.InvalidData, e.Kind);
        var actual = Sha256([.. parts[0].Content, .. shortRootfs]);
        Assert.Equal(
            $"The export of image p/{image.Fingerprint[..12]} (web-base) hashes to {actual}, not to its fingerprint {image.Fingerprint}: it was cut short or changed on the way. Nothing was kept.",
            e.Message);
        Assert.Empty(await ListedAsync());
        Assert.Empty(LeftInIncomplete());
        Assert.False(Directory.Exists(Path.Combine(_root, "images", image.Fingerprint)));
    }

    [Fact]
    public async Task UnifiedImageWithOtherBytes_IsImageFingerprintMismatch_AndKeepsNothing()
    {
        var image = AddImage(UnifiedParts());
        _incus.ImageFiles[image.Fingerprint] = [.. UnifiedParts()];

        var e = await Assert.ThrowsAsync<IncusBackupException>(() => BackupAsync(image));

        Assert.Equal(ErrorIds.ImageFingerprintMismatch, e.ErrorId);
        Assert.Empty(await ListedAsync());
        Assert.Empty(LeftInIncomplete());
    }

    [Fact]
    public async Task ExportRefusedByTheServer_PropagatesTheError_AndKeepsNothing()
    {
        var image = AddImage(SplitParts());
        _incus.FailOn = call => call.StartsWith("export image", StringComparison.Ordinal) ? new IncusApiException(404, "Image not found") : null;

        var e = await Assert.ThrowsAsync<IncusApiException>(() => BackupAsync(image));

        Assert.Equal("Image not found", e.Message);
        Assert.Empty(await ListedAsync());
        Assert.Empty(LeftInIncomplete());
    }

    [Fact]
    public async Task TwoBackupsOfOneImage_AreTwoVersionsInTheSameFingerprintFolder()
    {
        var image = AddImage(UnifiedParts());

        var first = await BackupAsync(image);
        var second = await BackupAsync(image);

        Assert.NotEqual(first.Version, second.Version);
        Assert.Equal(Path.GetDirectoryName(first.Location), Path.GetDirectoryName(second.Location));
        Assert.Equal([first.Version, second.Version], (await ListedAsync()).Select(r => r.Version).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Progress_IsReportedUnderTheImagesShortName()
    {
        var image = AddImage(SplitParts());

        await BackupAsync(image);

        var expected = $"p/{image.Fingerprint[..12]} (web-base)";
        Assert.NotEmpty(_reporter.ProgressReports);
        Assert.All(_reporter.ProgressReports, p => Assert.Equal(expected, p.Item));
        Assert.Contains(_reporter.ProgressReports, p => p.Phase == "Downloading metadata");
        Assert.Equal(("Downloading rootfs", image.Size, (long?)image.Size), (_reporter.ProgressReports[^1].Phase, _reporter.ProgressReports[^1].Bytes, _reporter.ProgressReports[^1].TotalBytes));
    }
}
