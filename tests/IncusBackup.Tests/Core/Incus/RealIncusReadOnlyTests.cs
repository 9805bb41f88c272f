using IncusBackup.Incus;
using IncusBackup.Tests.Infrastructure;
using Xunit;

namespace IncusBackup.Tests.Core.Incus;

/// <summary>
/// The client against the real local Incus 6.0.4 over its unix socket, reading only: the same calls the fakes stand
/// in for must deserialize what the real server sends. Nothing is created or changed.
/// </summary>
public sealed class RealIncusReadOnlyTests : IDisposable
{
    private readonly Lazy<IIncusServer> _client = new(() => IncusConnection.Open());

    private IIncusServer Client => _client.Value;

    public void Dispose()
    {
        if (_client.IsValueCreated) _client.Value.Dispose();
    }

    [IncusFact]
    public async Task Server_IsTrusted_AndHasTheBackupExtensions()
    {
        var info = await Client.GetServerAsync(CancellationToken.None);

        Assert.Equal("trusted", info.Auth);
        Assert.StartsWith("6.", info.Environment.ServerVersion, StringComparison.Ordinal);
        Assert.StartsWith("unix://", Client.Endpoint, StringComparison.Ordinal);
        Assert.True(await Client.HasExtensionAsync("container_backup", CancellationToken.None));
        Assert.True(await Client.HasExtensionAsync("custom_volume_backup", CancellationToken.None));
    }

    [IncusFact]
    public async Task Projects_IncludeDefault()
    {
        var projects = await Client.Projects.ListAsync(CancellationToken.None);

        Assert.Contains(projects, p => p.Name == "default");
        Assert.NotNull(await Client.Projects.TryGetAsync("default", CancellationToken.None));
    }

    [IncusFact]
    public async Task DefaultPool_UsesTheDirDriver()
    {
        var pool = await Client.StoragePools.TryGetAsync("default", CancellationToken.None);

        Assert.NotNull(pool);
        Assert.Equal("default", pool.Name);
        Assert.Equal("dir", pool.Driver);
        Assert.Null(await Client.StoragePools.TryGetAsync("no-such-pool-xyz", CancellationToken.None));
    }

    [IncusFact]
    public async Task Images_IncludeBusyboxTestByAlias()
    {
        var images = await Client.Images.ListAsync("default", CancellationToken.None);

        var image = Assert.Single(images, i => i.Aliases.Any(a => a.Name == IncusProjectFixture.DefaultImage));
        Assert.Matches("^[0-9a-f]{64}$", image.Fingerprint);
        var again = await Client.Images.TryGetAsync("default", image.Fingerprint, CancellationToken.None);
        Assert.Equal(image.Fingerprint, again?.Fingerprint);
    }

    [IncusFact]
    public async Task Incusbr0_IsAManagedNetwork()
    {
        var network = await Client.Networks.TryGetAsync("default", "incusbr0", CancellationToken.None);

        Assert.NotNull(network);
        Assert.True(network.Managed);
        Assert.Equal("bridge", network.Type);
    }

    [IncusFact]
    public async Task MissingInstance_IsNull()
    {
        Assert.Null(await Client.Instances.TryGetAsync("default", "no-such-instance-xyz", CancellationToken.None));
        Assert.Null(await Client.Instances.TryGetStateAsync("default", "no-such-instance-xyz", CancellationToken.None));
        Assert.Null(await Client.Instances.Backups("default", "no-such-instance-xyz").TryListAsync(CancellationToken.None));
    }

    [IncusFact]
    public async Task DefaultProfile_Exists()
    {
        var profile = await Client.Profiles.TryGetAsync("default", "default", CancellationToken.None);

        Assert.NotNull(profile);
        Assert.NotNull(profile.UsedBy);
    }
}
