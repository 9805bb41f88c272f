using System.Security.Cryptography;
using IncusBackup.Tests.Infrastructure;
using Xunit;

namespace IncusBackup.Tests.Integration;

/// <summary>
/// One Incus project per test class holding what the backup tests need: a running container "c1" with a file of
/// known random content, a snapshot "snap1" taken before that file changed, and a custom volume "v1" (with a file
/// of its own) attached to it at /data.
/// </summary>
public sealed class BackupScenario : IAsyncLifetime
{
    public IncusProjectFixture Incus { get; } = new();

    public byte[] RootFileNow { get; } = RandomNumberGenerator.GetBytes(300_000);
    public byte[] RootFileInSnapshot { get; } = RandomNumberGenerator.GetBytes(200_000);
    public byte[] VolumeFile { get; } = RandomNumberGenerator.GetBytes(150_000);

    public string Project => Incus.Project;

    public async Task InitializeAsync()
    {
        await Incus.InitializeAsync();
        if (!Incus.IsCreated) return; // skipped outside CI without Incus
        Incus.LaunchContainer("c1");
        Incus.WriteFile("c1", "/root/known.bin", RootFileInSnapshot);
        Incus.CreateSnapshot("c1", "snap1");
        Incus.WriteFile("c1", "/root/known.bin", RootFileNow);
        Incus.CreateVolume(IncusProjectFixture.DefaultPool, "v1");
        Incus.AttachVolume(IncusProjectFixture.DefaultPool, "v1", "c1", "/data");
        Incus.WriteFile("c1", "/data/vol.bin", VolumeFile);
    }

    public Task DisposeAsync() => Incus.DisposeAsync();
}
