using System.Security.Cryptography;
using System.Text;
using IncusBackup.Tests.Infrastructure;
using Xunit;

namespace IncusBackup.Tests.Integration;

/// <summary>
/// A small btrfs pool on a loop file (its own unique name, deleted afterwards) in a project of its own: a running
/// container "c1" on it with a NIC, a process appending numbered lines to /root/log, a user snapshot "snap1", and
/// a custom volume "v1" on the pool (with a snapshot "vs1") attached to it at /data; and a running container "d1"
/// on the dir pool for Auto's other choice.
/// </summary>
public sealed class CopyOnWriteScenario : IAsyncLifetime
{
    public IncusProjectFixture Incus { get; } = new();

    /// <summary>pt-cow-&lt;random&gt;: never a pool another test uses.</summary>
    public string Pool { get; } = "pt-cow-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));

    public byte[] VolumeFile { get; } = RandomNumberGenerator.GetBytes(150_000);

    public string Project => Incus.Project;

    private bool _poolCreated;

    public async Task InitializeAsync()
    {
        await Incus.InitializeAsync();
        if (!Incus.IsCreated) return; // skipped outside CI without Incus
        IncusCli.Run("storage", "create", Pool, "btrfs", "size=2GiB");
        _poolCreated = true;
        Incus.LaunchContainer("c1", IncusProjectFixture.DefaultImage, "--storage", Pool, "--network", "incusbr0");
        Incus.Exec("c1", "echo before-snapshot > /root/marker");
        Incus.CreateSnapshot("c1", "snap1");
        Incus.Exec("c1", "echo after-snapshot > /root/marker");
        // Started by init (a process started by incus exec dies with its session); a short pause every 100 lines
        // keeps it from taking a whole CPU of the test machine.
        Incus.WriteFile("c1", "/root/writer.sh", Encoding.ASCII.GetBytes(
            "i=0\nwhile :; do i=$((i+1)); echo \"line $i end\" >> /root/log; [ $((i % 100)) -eq 0 ] && sleep 0.01; done\n"));
        Incus.WriteFile("c1", "/etc/inittab", Encoding.ASCII.GetBytes("::once:/bin/sh /root/writer.sh\n"));
        Incus.Incus("restart", "--force", "c1");
        Incus.Exec("c1", "while [ ! -s /root/log ]; do sleep 0.1; done");
        Incus.CreateVolume(Pool, "v1");
        Incus.AttachVolume(Pool, "v1", "c1", "/data");
        Incus.WriteFile("c1", "/data/vol.bin", VolumeFile);
        Incus.Incus("storage", "volume", "snapshot", "create", Pool, "v1", "vs1");
        Incus.LaunchContainer("d1");
    }

    public async Task DisposeAsync()
    {
        await Incus.DisposeAsync();
        if (!_poolCreated) return;
        // The project's deletion can leave the pool "in use" for a moment while its last volumes go: try for a while.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                IncusCli.Run("storage", "delete", Pool);
                return;
            }
            catch (Exception) when (attempt < 20)
            {
                await Task.Delay(500);
            }
            catch (Exception e)
            {
                Console.Error.WriteLine($"cleanup: could not delete storage pool {Pool}: {e.Message}");
                return;
            }
        }
    }
}
