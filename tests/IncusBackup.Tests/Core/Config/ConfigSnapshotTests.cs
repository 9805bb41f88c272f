using System.Text;
using IncusBackup.Config;
using IncusBackup.Errors;
using Xunit;
using static IncusBackup.Tests.Core.Config.ConfigJson;

namespace IncusBackup.Tests.Core.Config;

/// <summary>
/// The files of a config backup (projects.json, storage_pools.json, networks.json, profiles.json, server.json):
/// sorted, indented JSON that reads back to the same resources, the same bytes for the same config, and a clear
/// ManifestInvalid for a file that is not what a backup writes.
/// </summary>
public sealed class ConfigSnapshotTests
{
    private const string Where = "Config */config@20260101T000000Z";

    /// <summary>A whole server's config, every object's keys deliberately out of order.</summary>
    private static List<ConfigResource> WholeServer() =>
    [
        Profile("p", "web", """
            {"name":"web","project":"p","description":"Web","config":{"user.z":"26","limits.cpu":"2"},
             "devices":{"root":{"type":"disk","pool":"fast","path":"/"},"eth0":{"type":"nic","network":"br0","name":"eth0"}}}
            """),
        Server("""{"config":{"images.compression_algorithm":"zstd","core.https_address":":8443"}}"""),
        Network("default", "br0", """{"type":"bridge","name":"br0","project":"default","description":"","config":{"ipv6.address":"none","ipv4.address":"none"}}"""),
        Profile("default", "default", """{"name":"default","project":"default","description":"Default Incus profile","config":{},"devices":{}}"""),
        Pool("fast", """{"name":"fast","driver":"dir","description":"","config":{"source":"/srv/fast"}}"""),
        Project("p", """{"name":"p","description":"","config":{"features.profiles":"true","features.images":"true"}}"""),
        Project("default", """{"name":"default","description":"Default Incus project","config":{"features.profiles":"true"}}"""),
    ];

    private static string Text(byte[] bytes) => Encoding.UTF8.GetString(bytes);

    [Fact]
    public void ToFiles_WritesTheFiveFiles_SortedAndIndented()
    {
        var files = new ConfigSnapshot(WholeServer()).ToFiles();

        Assert.Equal(["networks.json", "profiles.json", "projects.json", "server.json", "storage_pools.json"], files.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("""
            [
              {
                "config": {},
                "description": "Default Incus profile",
                "devices": {},
                "name": "default",
                "project": "default"
              },
              {
                "config": {
                  "limits.cpu": "2",
                  "user.z": "26"
                },
                "description": "Web",
                "devices": {
                  "eth0": {
                    "name": "eth0",
                    "network": "br0",
                    "type": "nic"
                  },
                  "root": {
                    "path": "/",
                    "pool": "fast",
                    "type": "disk"
                  }
                },
                "name": "web",
                "project": "p"
              }
            ]

            """, Text(files["profiles.json"]));
        Assert.Equal("""
            {
              "config": {
                "core.https_address": ":8443",
                "images.compression_algorithm": "zstd"
              }
            }

            """, Text(files["server.json"]));
        Assert.Equal("""
            [
              {
                "config": {
                  "features.profiles": "true"
                },
                "description": "Default Incus project",
                "name": "default"
              },
              {
                "config": {
                  "features.images": "true",
                  "features.profiles": "true"
                },
                "description": "",
                "name": "p"
              }
            ]

            """, Text(files["projects.json"]));
    }

    [Fact]
    public void ToFiles_TheSameConfigInAnotherOrder_IsTheSameBytes()
    {
        var first = new ConfigSnapshot(WholeServer()).ToFiles();
        var reordered = WholeServer();
        reordered.Reverse();
        var second = new ConfigSnapshot(reordered).ToFiles();

        foreach (var (name, bytes) in first) Assert.Equal(bytes, second[name]);
    }

    [Fact]
    public void FromFiles_ReadsBackEveryResource_AndWritesTheSameBytesAgain()
    {
        var files = new ConfigSnapshot(WholeServer()).ToFiles();

        var read = ConfigSnapshot.FromFiles(name => files[name], Where);

        Assert.Equal(
            ["Project:default", "Project:p", "StoragePool:fast", "Network:default/br0", "Profile:default/default", "Profile:p/web", "Server:server"],
            read.Resources.Select(r => r.Key));
        var original = new ConfigSnapshot(WholeServer()).Resources;
        Assert.Equal(original.Select(r => Canon(r.Body)), read.Resources.Select(r => Canon(r.Body)));
        var again = read.ToFiles();
        foreach (var (name, bytes) in files) Assert.Equal(Text(bytes), Text(again[name]));
    }

    [Fact]
    public void AProjectBackup_HasNoServerResource_AndAnEmptyServerJson()
    {
        var project = WholeServer().Where(r => r.Kind != ConfigKind.Server).ToList();

        var files = new ConfigSnapshot(project).ToFiles();
        var read = ConfigSnapshot.FromFiles(name => files[name], Where);

        Assert.Equal("{\n  \"config\": {}\n}\n", Text(files["server.json"]));
        Assert.DoesNotContain(read.Resources, r => r.Kind == ConfigKind.Server);
        Assert.Equal(6, read.Resources.Count);
    }

    [Fact]
    public void FromFiles_AProfileOrNetworkWithoutProject_IsInTheDefaultProject()
    {
        var files = Empty();
        files["profiles.json"] = """[{"name":"web","config":{}}]""";
        files["networks.json"] = """[{"name":"br0","type":"bridge","config":{}}]""";

        var read = ConfigSnapshot.FromFiles(name => Encoding.UTF8.GetBytes(files[name]), Where);

        Assert.Equal(["Network:default/br0", "Profile:default/web"], read.Resources.Select(r => r.Key));
    }

    [Fact]
    public void FromFiles_InvalidJson_IsManifestInvalid_NamingTheFile()
    {
        var files = Empty();
        files["profiles.json"] = """[{"name": "web",""";

        var e = Assert.Throws<IncusBackupException>(() => ConfigSnapshot.FromFiles(name => Encoding.UTF8.GetBytes(files[name]), Where));

        Assert.Equal(ErrorIds.ManifestInvalid, e.ErrorId);
        Assert.StartsWith($"profiles.json of {Where} is not valid JSON: ", e.Message);
        Assert.Equal(Where, e.Target);
    }

    [Fact]
    public void FromFiles_AnEntryWithoutName_IsManifestInvalid()
    {
        var files = Empty();
        files["storage_pools.json"] = """[{"driver":"dir","config":{}}]""";

        var e = Assert.Throws<IncusBackupException>(() => ConfigSnapshot.FromFiles(name => Encoding.UTF8.GetBytes(files[name]), Where));

        Assert.Equal(ErrorIds.ManifestInvalid, e.ErrorId);
        Assert.Equal($"storage_pools.json of {Where} holds an entry without a name.", e.Message);
    }

    [Theory]
    [InlineData("""{"name":"web","config":{}}""")]
    [InlineData("null")]
    [InlineData("[\"web\"]")]
    [InlineData("""[{"name":42}]""")]
    public void FromFiles_AProfilesFileThatIsNotAnArrayOfNamedObjects_IsManifestInvalid(string content)
    {
        var files = Empty();
        files["profiles.json"] = content;

        var e = Assert.Throws<IncusBackupException>(() => ConfigSnapshot.FromFiles(name => Encoding.UTF8.GetBytes(files[name]), Where));

        Assert.Equal(ErrorIds.ManifestInvalid, e.ErrorId);
        Assert.StartsWith($"profiles.json of {Where} ", e.Message);
    }

    /// <summary>The files of a backup with nothing in it.</summary>
    private static Dictionary<string, string> Empty() => new()
    {
        ["projects.json"] = "[]", ["storage_pools.json"] = "[]", ["networks.json"] = "[]", ["profiles.json"] = "[]", ["server.json"] = """{"config":{}}""",
    };
}
