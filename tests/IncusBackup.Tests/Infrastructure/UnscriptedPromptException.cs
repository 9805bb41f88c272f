namespace IncusBackup.Tests.Infrastructure;

/// <summary>
/// The code under test asked the host for input the test did not script. Thrown by the host (so nothing hangs
/// waiting for a user) and thrown again by <see cref="PowerShellSession"/> after the invocation, so the test fails
/// even when the code under test swallowed the first exception.
/// </summary>
public sealed class UnscriptedPromptException : Exception
{
    public UnscriptedPromptException(HostPrompt prompt)
        : base(BuildMessage(prompt))
    {
        Prompt = prompt;
    }

    public UnscriptedPromptException(HostPrompt prompt, string invokedScript)
        : base($"{BuildMessage(prompt)}{Environment.NewLine}Script: {invokedScript}")
    {
        Prompt = prompt;
    }

    public HostPrompt Prompt { get; }

    private static string BuildMessage(HostPrompt prompt) =>
        $"The code under test prompted the host but the test queued no answer: {prompt}. " +
        "Queue one (TestHostUI.EnqueueChoice / EnqueueLine), or call the command with -Confirm:$false / -Force.";
}
