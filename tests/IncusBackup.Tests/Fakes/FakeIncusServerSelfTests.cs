using IncusBackup.Incus;
using Xunit;

namespace IncusBackup.Tests.Fakes;

/// <summary>The fake HTTP server itself: a failing handler must fail the test, not hang it.</summary>
public sealed class FakeIncusServerSelfTests
{
    [Fact]
    public async Task AFailingHandler_AnswersTheClient_AndFailsTheTestOnDispose()
    {
        var server = new FakeIncusServer();
        server.Handlers.Add((_, _) => throw new InvalidProgramException("assertion inside a handler"));
        // Sent once: the 500 would otherwise be retried, and every attempt would fail the handler again.
        using var client = IncusConnection.Open(new IncusConnectionOptions { HttpAddress = server.BaseAddress, Retry = new RetryPolicy { MaxRetries = 0 } });

        var answer = await Assert.ThrowsAsync<IncusApiException>(() => client.GetServerAsync(CancellationToken.None)).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(500, answer.StatusCode);
        var failure = Assert.Throws<AggregateException>(server.Dispose);
        Assert.IsType<InvalidProgramException>(Assert.Single(failure.InnerExceptions));
    }
}
