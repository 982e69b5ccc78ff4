"""The two catalog endpoints as DRF generic views."""
from django.db.models import Prefetch
from rest_framework import generics

from .models import Course, Lesson
from .serializers import CourseDetailSerializer, CourseSummarySerializer


class CourseList(generics.ListAPIView):
    serializer_class = CourseSummarySerializer
    queryset = (Course.objects.filter(status="published")
                .select_related("category", "instructor")
                .defer("description")
                .order_by("-published_at", "-id"))


class CourseDetail(generics.RetrieveAPIView):
    serializer_class = CourseDetailSerializer
    lookup_field = "slug"
    queryset = (Course.objects.filter(status="published")
                .select_related("category", "instructor")
                .prefetch_related(Prefetch("lessons", queryset=Lesson.objects.order_by("position"))))
