using System.Security.Cryptography;
using System.Text;
using IncusBackup.Errors;
using IncusBackup.Repository;
using Xunit;

namespace IncusBackup.Tests.Core.Repository;

/// <summary>manifest.json and checksums.txt: what Create writes, and what Open accepts and refuses.</summary>
public sealed class BackupSealTests
{
    private const string Where = "instance default/web 20260102T030405Z";
    private static readonly byte[] Archive = Encoding.ASCII.GetBytes("not really a tarball");
    private static readonly byte[] Extra = [1, 2, 3, 4];

    private static string Sha(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));

    private static BackupManifest Manifest() => new()
    {
        Kind = "instance", Project = "default", Name = "web", Version = "20260102T030405Z",
        CreatedAt = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero), CompletedAt = new DateTimeOffset(2026, 1, 2, 3, 5, 0, TimeSpan.Zero),
        ToolVersion = "1.2.3", Server = new ManifestServer { Version = "6.0.4", Name = "host", Endpoint = "unix:///var/lib/incus/unix.socket" },
        Options = new ManifestOptions { Consistency = "Frozen", Compression = "zstd", DetectedCompression = "zstd", ExportMethod = "ServerBackup" },
        InstanceType = "container", Snapshots = ["snap0", "snap1"],
        Files =
        [
            new ManifestFile { Name = "export.tar.zst", Size = Archive.Length, Sha256 = Sha(Archive) },
            new ManifestFile { Name = "extra.bin", Size = Extra.Length, Sha256 = Sha(Extra) },
        ],
    };

    private static byte[] Lines(params string[] lines) => Encoding.UTF8.GetBytes(string.Concat(lines.Select(l => l + "\n")));

    private static IncusBackupException OpenFails(byte[] manifest, byte[] checksums) =>
        Assert.Throws<IncusBackupException>(() => BackupSeal.Open(manifest, checksums, Where));

    [Fact]
    public void CreateThenOpen_RoundTripsTheManifestAndTheChecksums()
    {
        var created = BackupSeal.Create(Manifest());

        var opened = BackupSeal.Open(created.ManifestBytes, created.ChecksumsBytes, Where);

        var m = opened.Manifest;
        Assert.Equal(BackupManifest.CurrentSchema, m.SchemaVersion);
        Assert.Equal(("instance", "default", "web", "20260102T030405Z"), (m.Kind, m.Project, m.Name, m.Version));
        Assert.Null(m.Pool);
        Assert.Equal(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero), m.CreatedAt);
        Assert.Equal("1.2.3", m.ToolVersion);
        Assert.Equal("unix:///var/lib/incus/unix.socket", m.Server.Endpoint);
        Assert.Equal("Frozen", m.Options.Consistency);
        Assert.Equal(["snap0", "snap1"], m.Snapshots);
        Assert.Equal(["export.tar.zst", "extra.bin"], m.Files.Select(f => f.Name));
        Assert.Equal([Sha(Archive), Sha(Extra)], m.Files.Select(f => f.Sha256));
        Assert.Equal(created.Checksums, opened.Checksums);
        Assert.Equal(created.ManifestBytes, opened.ManifestBytes);
        Assert.Equal(created.ChecksumsBytes, opened.ChecksumsBytes);
        Assert.Equal(["export.tar.zst", "extra.bin"], opened.DataFiles.Select(f => f.Key).Order());
    }

    [Fact]
    public void Checksums_ListEveryFileAndTheManifest_InSha256sumFormat()
    {
        var seal = BackupSeal.Create(Manifest());

        var text = Encoding.UTF8.GetString(seal.ChecksumsBytes);
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        var lines = text.TrimEnd('\n').Split('\n');
        Assert.All(lines, l => Assert.Matches("^[0-9a-f]{64}  [^/\n]+$", l));
        Assert.Equal(
            new[] { $"{Sha(Archive)}  export.tar.zst", $"{Sha(Extra)}  extra.bin", $"{Sha(seal.ManifestBytes)}  manifest.json" }.Order(),
            lines.Order());
        Assert.Equal(Sha(seal.ManifestBytes), seal.Checksums[BackupSeal.ManifestFile]);
        Assert.Equal(3, seal.Checksums.Count);
    }

    [Fact]
    public void Manifest_IsSnakeCaseJson()
    {
        var json = Encoding.UTF8.GetString(BackupSeal.Create(Manifest()).ManifestBytes);

        Assert.Contains("\"schema_version\": 1", json, StringComparison.Ordinal);
        Assert.Contains("\"detected_compression\": \"zstd\"", json, StringComparison.Ordinal);
        Assert.DoesNotContain("\"pool\"", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_RefusesAChangedManifest_NamingManifestJson()
    {
        var seal = BackupSeal.Create(Manifest());
        var changed = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(seal.ManifestBytes).Replace("\"web\"", "\"db\"", StringComparison.Ordinal));
        Assert.NotEqual(seal.ManifestBytes, changed);

        var e = OpenFails(changed, seal.ChecksumsBytes);

        Assert.Equal(ErrorIds.ChecksumMismatch, e.ErrorId);
        Assert.Equal(ErrorKind.InvalidData, e.Kind);
        Assert.Contains("manifest.json", e.Message, StringComparison.Ordinal);
        Assert.Contains(Where, e.Message, StringComparison.Ordinal);
        Assert.Contains(Sha(changed), e.Message, StringComparison.Ordinal);
        Assert.NotNull(e.RecommendedAction);
    }

    [Theory]
    [InlineData("zz", "  export.tar.zst", "non-hex digits")]
    [InlineData("", " export.tar.zst", "one space")]
    [InlineData("", "\texport.tar.zst", "a tab")]
    [InlineData("", "  sub/export.tar.zst", "a slash in the name")]
    [InlineData("", "  ../export.tar.zst", "a parent reference")]
    [InlineData("", "  ", "no name")]
    public void Open_RefusesAMalformedLine(string hexPrefix, string rest, string what)
    {
        var seal = BackupSeal.Create(Manifest());
        var sha = hexPrefix + Sha(Archive)[hexPrefix.Length..];
        var line = sha + rest;
        var checksums = Lines($"{Sha(seal.ManifestBytes)}  manifest.json", line, $"{Sha(Extra)}  extra.bin");

        var e = OpenFails(seal.ManifestBytes, checksums);

        Assert.True(e.ErrorId == ErrorIds.ChecksumMismatch, $"{what}: {e.ErrorId}");
        Assert.Contains("malformed line", e.Message, StringComparison.Ordinal);
        Assert.Contains(line, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_RefusesAShortHash()
    {
        var seal = BackupSeal.Create(Manifest());

        var e = OpenFails(seal.ManifestBytes, Lines($"{Sha(seal.ManifestBytes)[..63]}  manifest.json"));

        Assert.Equal(ErrorIds.ChecksumMismatch, e.ErrorId);
        Assert.Contains("malformed line", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_AcceptsTheBinaryMarkerAndUppercaseHex()
    {
        var seal = BackupSeal.Create(Manifest());
        var checksums = Lines(
            $"{Sha(seal.ManifestBytes).ToUpperInvariant()} *manifest.json",
            $"{Sha(Archive).ToUpperInvariant()}  export.tar.zst",
            $"{Sha(Extra)} *extra.bin");

        var opened = BackupSeal.Open(seal.ManifestBytes, checksums, Where);

        Assert.Equal(Sha(Archive), opened.Checksums["export.tar.zst"]);
        Assert.Equal(Sha(seal.ManifestBytes), opened.Checksums["manifest.json"]);
    }

    [Fact]
    public void Open_RefusesAManifestWhoseFileShaDisagreesWithTheChecksums()
    {
        var seal = BackupSeal.Create(Manifest());
        var checksums = Lines($"{Sha(seal.ManifestBytes)}  manifest.json", $"{Sha(Extra)}  export.tar.zst", $"{Sha(Extra)}  extra.bin");

        var e = OpenFails(seal.ManifestBytes, checksums);

        Assert.Equal(ErrorIds.ChecksumMismatch, e.ErrorId);
        Assert.Contains("disagree", e.Message, StringComparison.Ordinal);
        Assert.Contains("'export.tar.zst'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_RefusesAManifestNamingAFileTheChecksumsLeaveOut()
    {
        var seal = BackupSeal.Create(Manifest());
        var checksums = Lines($"{Sha(seal.ManifestBytes)}  manifest.json", $"{Sha(Archive)}  export.tar.zst");

        var e = OpenFails(seal.ManifestBytes, checksums);

        Assert.Equal(ErrorIds.ChecksumMismatch, e.ErrorId);
        Assert.Contains("disagree", e.Message, StringComparison.Ordinal);
        Assert.Contains("'extra.bin'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_ChecksumsThatDoNotListTheManifest_AreRefused_ForNothingVouchesForIt()
    {
        var e = OpenFails(Encoding.UTF8.GetBytes("{ not json"), Lines($"{Sha(Archive)}  export.tar.zst"));

        Assert.Equal(ErrorIds.ChecksumMismatch, e.ErrorId);
        Assert.Equal(ErrorKind.InvalidData, e.Kind);
        Assert.Contains("does not list manifest.json", e.Message, StringComparison.Ordinal);
        Assert.Contains(Where, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_InvalidJson_WhoseChecksumMatches_IsManifestInvalid()
    {
        var broken = Encoding.UTF8.GetBytes("null");

        var e = OpenFails(broken, Lines($"{Sha(broken)}  manifest.json"));

        Assert.Equal(ErrorIds.ManifestInvalid, e.ErrorId);
    }

    [Fact]
    public void Open_SkipsEmptyLines()
    {
        var seal = BackupSeal.Create(Manifest());
        var checksums = Encoding.UTF8.GetBytes("\n" + Encoding.UTF8.GetString(seal.ChecksumsBytes) + "\n\n");

        Assert.Equal(seal.Checksums, BackupSeal.Open(seal.ManifestBytes, checksums, Where).Checksums);
    }
}
