using IncusBackup.Errors;
using IncusBackup.Incus;
using IncusBackup.Tests.Infrastructure;
using IncusBackup.Tests.Integration;
using Xunit;

namespace IncusBackup.Tests.Core.Incus;

/// <summary>Connecting over a unix socket that is not there: nothing happens until the first call, which names the fix.</summary>
public sealed class IncusConnectionTests
{
    [Fact]
    public async Task MissingSocket_FirstCallThrowsIncusUnreachable_MentioningIncusd()
    {
        using var scratch = new TempDirectory();
        var socket = scratch.Combine("no-such.socket");
        using var client = IncusConnection.Open(new IncusConnectionOptions { SocketPath = socket });

        Assert.Equal("unix://" + socket, client.Endpoint);
        var e = await Assert.ThrowsAsync<IncusBackupException>(() => client.GetServerAsync(CancellationToken.None));

        Assert.Equal(ErrorIds.IncusUnreachable, e.ErrorId);
        Assert.Equal(ErrorKind.ConnectionError, e.Kind);
        Assert.Contains("unix://" + socket, e.Message, StringComparison.Ordinal);
        Assert.Contains("incusd", e.RecommendedAction, StringComparison.Ordinal);
        Assert.IsType<HttpRequestException>(e.InnerException);
    }

    [Fact]
    public async Task MissingSocket_EveryFamilyThrowsIncusUnreachable()
    {
        using var scratch = new TempDirectory();
        using var client = IncusConnection.Open(new IncusConnectionOptions { SocketPath = scratch.Combine("no-such.socket") });

        var list = await Assert.ThrowsAsync<IncusBackupException>(() => client.Projects.ListAsync(CancellationToken.None));
        var tryGet = await Assert.ThrowsAsync<IncusBackupException>(() => client.Instances.TryGetAsync("default", "c1", CancellationToken.None));
        var wait = await Assert.ThrowsAsync<IncusBackupException>(() => client.Operations.WaitAsync("/1.0/operations/x", null, CancellationToken.None));
        var download = await Assert.ThrowsAsync<IncusBackupException>(() => client.Instances.Backups("default", "c1").DownloadAsync("b", 0, CancellationToken.None));

        Assert.All(new[] { list, tryGet, wait, download }, e => Assert.Equal(ErrorIds.IncusUnreachable, e.ErrorId));
    }
}

/// <summary>Where the socket is looked for: INCUS_SOCKET, then INCUS_DIR, then the usual paths. Changes the process environment.</summary>
[Collection(nameof(ProcessEnvironmentCollection))]
public sealed class IncusSocketDiscoveryTests
{
    private static readonly string[] DefaultSockets = ["/var/lib/incus/unix.socket", "/run/incus/unix.socket"];

    private static T WithEnvironment<T>(string? socket, string? dir, Func<T> body)
    {
        var savedSocket = Environment.GetEnvironmentVariable("INCUS_SOCKET");
        var savedDir = Environment.GetEnvironmentVariable("INCUS_DIR");
        try
        {
            Environment.SetEnvironmentVariable("INCUS_SOCKET", socket);
            Environment.SetEnvironmentVariable("INCUS_DIR", dir);
            return body();
        }
        finally
        {
            Environment.SetEnvironmentVariable("INCUS_SOCKET", savedSocket);
            Environment.SetEnvironmentVariable("INCUS_DIR", savedDir);
        }
    }

    [Fact]
    public void IncusSocket_WinsOverIncusDir()
    {
        Assert.Equal("/srv/a/incus.sock", WithEnvironment("/srv/a/incus.sock", "/srv/dir", IncusConnection.FindSocket));
    }

    [Fact]
    public void IncusDir_GivesItsUnixSocket_WhenIncusSocketIsUnsetOrEmpty()
    {
        Assert.Equal("/srv/dir/unix.socket", WithEnvironment(null, "/srv/dir", IncusConnection.FindSocket));
        Assert.Equal("/srv/dir/unix.socket", WithEnvironment("", "/srv/dir", IncusConnection.FindSocket));
    }

    [Fact]
    public void NeitherVariable_FallsBackToAnExistingDefaultSocket()
    {
        var found = WithEnvironment(null, null, IncusConnection.FindSocket);

        var expected = DefaultSockets.FirstOrDefault(File.Exists);
        Assert.Equal(expected, found);
    }

    [Fact]
    public void TheVariables_AreRestoredAfterwards()
    {
        var before = (Environment.GetEnvironmentVariable("INCUS_SOCKET"), Environment.GetEnvironmentVariable("INCUS_DIR"));

        WithEnvironment("/x", "/y", IncusConnection.FindSocket);

        Assert.Equal(before, (Environment.GetEnvironmentVariable("INCUS_SOCKET"), Environment.GetEnvironmentVariable("INCUS_DIR")));
    }

    [Fact]
    public async Task OpenWithoutOptions_UsesIncusSocket_AndNamesItWhenUnreachable()
    {
        using var scratch = new TempDirectory();
        var socket = scratch.Combine("elsewhere.socket");
        using var client = WithEnvironment(socket, null, () => IncusConnection.Open());

        var e = await Assert.ThrowsAsync<IncusBackupException>(() => client.GetServerAsync(CancellationToken.None));

        Assert.Equal("unix://" + socket, client.Endpoint);
        Assert.Equal(ErrorIds.IncusUnreachable, e.ErrorId);
        Assert.Contains(socket, e.Message, StringComparison.Ordinal);
        Assert.Contains("INCUS_SOCKET", e.RecommendedAction, StringComparison.Ordinal);
    }
}
