using System.Security.Cryptography;
using System.Text.Json;
using IncusBackup.Tests.Infrastructure;
using Xunit;

namespace IncusBackup.Tests.InfrastructureSelfTests;

/// <summary>The fixture against the real incusd: setup, every helper, and complete cleanup.</summary>
public sealed class IncusProjectFixtureSelfTests
{
    [IncusFact]
    public async Task Fixture_creates_a_usable_project_and_removes_everything_on_dispose()
    {
        var fixture = new IncusProjectFixture();
        try
        {
            await fixture.InitializeAsync();
            Assert.Matches("^t-[0-9a-f]{8}$", fixture.Project);
            Assert.True(fixture.IsCreated);
            JsonElement project = IncusCli.Query($"/1.0/projects/{fixture.Project}");
            Assert.Equal("false", project.GetProperty("config").GetProperty("features.images").GetString());
            Assert.Equal("true", project.GetProperty("config").GetProperty("features.profiles").GetString());
            JsonElement root = fixture.Query("/1.0/profiles/default").GetProperty("devices").GetProperty("root");
            Assert.Equal("default", root.GetProperty("pool").GetString());

            fixture.LaunchContainer("c1");
            Assert.Equal(["c1"], fixture.ListInstances());
            Assert.Equal("Running", fixture.InstanceState("c1"));
            Assert.Equal("hello\n", fixture.Exec("c1", "echo hello"));

            byte[] content = [0, 255, 10, 13, 0, .. RandomNumberGenerator.GetBytes(70_000), 10];
            fixture.WriteFile("c1", "/root/data/blob.bin", content);
            Assert.Equal(content, fixture.ReadFile("c1", "/root/data/blob.bin"));
            Assert.StartsWith(
                Convert.ToHexStringLower(SHA256.HashData(content)),
                fixture.Exec("c1", "sha256sum /root/data/blob.bin"),
                StringComparison.Ordinal);

            fixture.CreateSnapshot("c1", "snap1");
            Assert.Equal(["snap1"], fixture.ListSnapshots("c1"));

            fixture.CreateVolume("default", "vol1");
            fixture.Incus("storage", "volume", "snapshot", "create", "default", "vol1", "vsnap1");
            Assert.Equal(["vol1"], fixture.ListVolumes("default"));
            fixture.AttachVolume("default", "vol1", "c1", "/mnt/vol1");
            fixture.WriteFile("c1", "/mnt/vol1/inside.txt", "on the volume"u8.ToArray());
            Assert.Equal("on the volume", fixture.Exec("c1", "cat /mnt/vol1/inside.txt"));

            Assert.Empty(fixture.ListServerBackups("c1"));
            Assert.Empty(fixture.ListVolumeServerBackups("default", "vol1"));
            IncusCli.Run("query", "-X", "POST", "--wait", "-d", """{"name":"b1"}""", $"/1.0/instances/c1/backups?project={fixture.Project}");
            IncusCli.Run("query", "-X", "POST", "--wait", "-d", """{"name":"vb1"}""", $"/1.0/storage-pools/default/volumes/custom/vol1/backups?project={fixture.Project}");
            Assert.Equal(["b1"], fixture.ListServerBackups("c1"));
            Assert.Equal(["vb1"], fixture.ListVolumeServerBackups("default", "vol1"));

            fixture.Incus("profile", "create", "extra");
            fixture.StopInstance("c1");
            Assert.Equal("Stopped", fixture.InstanceState("c1"));
            fixture.StartInstance("c1");
            Assert.Equal("Running", fixture.InstanceState("c1"));
        }
        finally
        {
            await fixture.DisposeAsync();
            fixture.Dispose(); // xunit calls both; the second is a no-op
        }

        Assert.False(fixture.IsCreated);
        Assert.True(fixture.CleanupLog.Count == 0, string.Join(Environment.NewLine, fixture.CleanupLog));
        Assert.DoesNotContain(
            IncusCli.Query("/1.0/projects?recursion=1").EnumerateArray(),
            p => p.GetProperty("name").GetString() == fixture.Project);
        Assert.Throws<InvalidOperationException>(() => fixture.ListInstances());
    }

    [IncusFact]
    public async Task Fixtures_get_distinct_projects()
    {
        var first = new IncusProjectFixture();
        var second = new IncusProjectFixture();
        try
        {
            await first.InitializeAsync();
            await second.InitializeAsync();
            Assert.NotEqual(first.Project, second.Project);
        }
        finally
        {
            await first.DisposeAsync();
            await second.DisposeAsync();
        }
    }
}
