package io.npmgateway.testing;

/**
 * One question a client asks on its terminal and the line typed in answer: {@link NpmCli#runAnswering} waits
 * until {@code question} appears in the client's output, then writes {@code answer} and a newline to its input.
 * Answers typed ahead are lost (npm reads each prompt with a fresh line reader that swallows whatever is
 * buffered), which is why the answers wait for their questions.
 *
 * @param question text the prompt contains, e.g. {@code "Username:"}
 * @param answer   the line to type, without the newline
 */
public record Prompt(String question, String answer) {
    @Override
    public String toString() {
        return "Prompt[" + question + "]";
    }
}
