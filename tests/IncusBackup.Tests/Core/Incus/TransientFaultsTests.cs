using System.Net.Sockets;
using IncusBackup.Incus;
using Xunit;

namespace IncusBackup.Tests.Core.Incus;

/// <summary>What the transport's retries call transient, on the exceptions HttpClient wraps faults in.</summary>
public sealed class TransientFaultsTests
{
    [Theory]
    [InlineData(500, true)]
    [InlineData(502, true)]
    [InlineData(503, true)]
    [InlineData(504, true)]
    [InlineData(501, false)]
    [InlineData(505, false)]
    [InlineData(400, false)]
    [InlineData(404, false)]
    [InlineData(409, false)]
    [InlineData(200, false)]
    public void IsTransientStatus_OnlyForServerAndGatewayFaults(int status, bool transient) =>
        Assert.Equal(transient, TransientFaults.IsTransientStatus(status));

    [Theory]
    [InlineData(SocketError.ConnectionReset, true)]
    [InlineData(SocketError.ConnectionRefused, true)]
    [InlineData(SocketError.ConnectionAborted, true)]
    [InlineData(SocketError.NetworkReset, true)]
    [InlineData(SocketError.Shutdown, true)]
    [InlineData(SocketError.AccessDenied, false)]
    [InlineData(SocketError.AddressNotAvailable, false)]
    [InlineData(SocketError.HostNotFound, false)]
    public void IsTransient_BySocketError_HoweverDeepHttpClientWrapsIt(SocketError error, bool transient)
    {
        var socket = new SocketException((int)error);

        Assert.Equal(transient, TransientFaults.IsTransient(new HttpRequestException("send failed", socket), null));
        Assert.Equal(transient, TransientFaults.IsTransient(new HttpRequestException("send failed", new IOException("read failed", socket)), null));
        Assert.Equal(transient, TransientFaults.IsTransient(new IOException("Unable to read data from the transport connection", socket), null));
    }

    [Fact]
    public void IsTransient_ForAnAnswerThatEndedEarly()
    {
        var ended = new HttpRequestException(HttpRequestError.ResponseEnded, "An error occurred while sending the request.",
            new HttpIOException(HttpRequestError.ResponseEnded, "The response ended prematurely."));

        Assert.True(TransientFaults.IsTransient(ended, null));
        Assert.StartsWith("The response ended prematurely.", TransientFaults.Describe(ended), StringComparison.Ordinal);
    }

    [Fact]
    public void IsTransient_NeverForCancellationOrOtherExceptions()
    {
        var reset = new SocketException((int)SocketError.ConnectionReset);

        Assert.False(TransientFaults.IsTransient(new OperationCanceledException("caller", reset), null));
        Assert.False(TransientFaults.IsTransient(new TaskCanceledException("caller"), null));
        Assert.False(TransientFaults.IsTransient(new InvalidOperationException("bug", reset), null));
        Assert.False(TransientFaults.IsTransient(new HttpRequestException("no socket inside"), null));
    }

    [Fact]
    public void IsTransient_NeverWhenTheUnixSocketIsMissing()
    {
        var reset = new HttpRequestException("send failed", new SocketException((int)SocketError.ConnectionRefused));
        var missing = Path.Combine(Path.GetTempPath(), "ib-no-such-" + Guid.NewGuid().ToString("N") + ".socket");

        Assert.False(TransientFaults.IsTransient(reset, missing));
        Assert.True(TransientFaults.IsTransient(reset, typeof(TransientFaultsTests).Assembly.Location));
    }
}
