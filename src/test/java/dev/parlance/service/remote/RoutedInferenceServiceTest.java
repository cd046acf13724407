package dev.parlance.service.remote;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parlance.service.InferenceService;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class RoutedInferenceServiceTest {
    /** A method the interface gains later must be routed too, not answered by its default for every model. */
    @Test
    void everyMethodOfTheServiceIsRouted() {
        for (Method method : InferenceService.class.getMethods()) {
            if (Modifier.isStatic(method.getModifiers())) {
                continue;
            }
            assertThat(Arrays.stream(RoutedInferenceService.class.getDeclaredMethods())
                    .anyMatch(m -> m.getName().equals(method.getName())
                            && Arrays.equals(m.getParameterTypes(), method.getParameterTypes())))
                    .as("RoutedInferenceService overrides " + method)
                    .isTrue();
        }
    }

    /** The app's server must never reach the remote side through a default method either. */
    @Test
    void theLocalOnlyViewOverridesEveryMethod() {
        Class<?> view = Arrays.stream(RoutedInferenceService.class.getDeclaredClasses())
                .filter(InferenceService.class::isAssignableFrom).findFirst().orElseThrow();
        for (Method method : InferenceService.class.getMethods()) {
            if (Modifier.isStatic(method.getModifiers())) {
                continue;
            }
            assertThat(Arrays.stream(view.getDeclaredMethods())
                    .anyMatch(m -> m.getName().equals(method.getName())
                            && Arrays.equals(m.getParameterTypes(), method.getParameterTypes())))
                    .as("localOnly() overrides " + method)
                    .isTrue();
        }
    }
}
