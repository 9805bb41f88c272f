using IncusBackup.Incus;
using IncusBackup.Tests.Fakes;

namespace IncusBackup.Tests.Core.Incus;

/// <summary>A test class that talks to the fake HTTP server through a real client; disposing fails the test if a handler threw.</summary>
public abstract class FakeServerTest : IDisposable
{
    protected FakeServerTest()
    {
        _client = FakeReplies.Connect(_server);
    }

    private protected readonly FakeIncusServer _server = new();
    private protected readonly IIncusServer _client;

    public void Dispose()
    {
        _client.Dispose();
        _server.Dispose();
        GC.SuppressFinalize(this);
    }
}
