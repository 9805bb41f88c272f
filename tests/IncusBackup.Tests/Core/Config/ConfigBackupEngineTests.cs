using System.Security.Cryptography;
using System.Text.Json;
using IncusBackup.Config;
using IncusBackup.Errors;
using IncusBackup.Repository.Directory;
using IncusBackup.Tests.Fakes;
using Xunit;
using static IncusBackup.Tests.Core.Config.ConfigJson;

namespace IncusBackup.Tests.Core.Config;

/// <summary>A config backup in a directory repository: the five files under config/&lt;version&gt;/, their checksums, and the record.</summary>
public sealed class ConfigBackupEngineTests : IDisposable
{
    private static readonly CancellationToken None = CancellationToken.None;
    private static readonly string[] FileNames = ["projects.json", "storage_pools.json", "networks.json", "profiles.json", "server.json"];

    private readonly string _root = Path.Combine(Path.GetTempPath(), "ib-config-" + Guid.NewGuid().ToString("N"));
    private readonly InMemoryIncus _incus = new();
    private readonly RecordingReporter _reporter = new();
    private readonly DirectoryRepository _repository;

    public ConfigBackupEngineTests()
    {
        _repository = DirectoryRepository.OpenForWrite(_root, "t");
        _incus.ProjectObjects =
        [
            Obj("""{"name":"default","description":"","config":{"features.profiles":"true"},"used_by":[]}"""),
            Obj("""{"name":"p","description":"","config":{"features.profiles":"true"},"used_by":[]}"""),
        ];
        _incus.ProfileObjects["p"] = [Obj("""{"name":"web","project":"p","description":"","config":{"limits.cpu":"2"},"devices":{},"used_by":[]}""")];
        _incus.Info.Config = new() { ["images.compression_algorithm"] = JsonSerializer.SerializeToElement("zstd") };
    }

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private ConfigBackupEngine Engine => new(_incus, _repository, "t");

    [Fact]
    public async Task BackupAsync_WholeServer_WritesTheFiles_WithTheirChecksums()
    {
        var record = await Engine.BackupAsync(null, _reporter, None);

        Assert.Equal((BackupKind.Config, "*", "config"), (record.Kind, record.Project, record.Name));
        Assert.Equal(Path.Combine(_root, "config", record.Version), record.Location);
        var expected = (await ConfigReader.ReadAsync(_incus, null, None)).ToFiles();
        foreach (var name in FileNames) Assert.Equal(expected[name], File.ReadAllBytes(Path.Combine(record.Location, name)));
        var checksums = File.ReadAllLines(Path.Combine(record.Location, "checksums.txt"));
        foreach (var name in FileNames)
            Assert.Contains($"{Convert.ToHexStringLower(SHA256.HashData(expected[name]))}  {name}", checksums);
        Assert.Equal(expected.Values.Sum(b => (long)b.Length), record.Size);
        Assert.Equal(
            $"Backed up the config of the server: 2 project(s), 1 storagepool(s), 0 network(s), 2 profile(s), to {record.Location}.",
            Assert.Single(_reporter.VerboseLines));
    }

    [Fact]
    public async Task BackupAsync_OneProject_IsRecordedUnderItsName_WithoutServerKeys()
    {
        var record = await Engine.BackupAsync("p", _reporter, None);

        Assert.Equal("p", record.Project);
        Assert.Equal("{\n  \"config\": {}\n}\n", File.ReadAllText(Path.Combine(record.Location, "server.json")));
        var profiles = JsonDocument.Parse(File.ReadAllText(Path.Combine(record.Location, "profiles.json"))).RootElement;
        Assert.Equal(["web"], profiles.EnumerateArray().Select(p => p.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task BackupAsync_AProjectThatDoesNotExist_IsProjectNotFound_AndWritesNoBackup()
    {
        var e = await Assert.ThrowsAsync<IncusBackupException>(() => Engine.BackupAsync("nope", _reporter, None));

        Assert.Equal(ErrorIds.ProjectNotFound, e.ErrorId);
        Assert.Equal("Project 'nope' not found.", e.Message);
        Assert.Equal("List the projects with: incus project list", e.RecommendedAction);
        Assert.Empty((await _repository.ListAsync(BackupKind.Config, None)).Records);
    }
}
